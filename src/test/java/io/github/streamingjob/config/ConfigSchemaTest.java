package io.github.streamingjob.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The JSON Schemas in config/schema give editors completion and early errors; the loader stays the
 * authority. This keeps them from drifting: the same keys and values, and the shipped configs and the
 * broken-config suite judged the same way wherever a schema can judge, read as an editor reads YAML.
 */
class ConfigSchemaTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path CASES = Path.of("src/test/resources/broken-configs");
  /** Refused by the loader for reasons a schema can express: the schema must refuse them too. */
  static final Set<String> SCHEMA_REFUSES = Set.of("bad-topic-name", "change-data-without-primary-key",
      "class-valued-properties", "empty-file",
      "list-written-as-map", "missing-required-keys", "sink-properties-contradict", "unknown-key", "yaml-1-1-scalars", "bad-maintenance",
      "table-name-path", "hadoop-names");
  /** Not YAML an editor could load at all. */
  static final Set<String> NOT_LOADABLE = Set.of("not-yaml", "java-class-tag", "alias-bomb");

  static JsonNode schemaNode(String name) throws IOException {
    return JSON.readTree(Path.of("config/schema", name).toFile());
  }

  static JsonSchema schema(String name) throws IOException {
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(schemaNode(name));
  }

  /** YAML as an editor's YAML 1.2 parser reads it, as JSON. */
  static JsonNode editorView(Path yaml) throws IOException {
    Object doc = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(yaml));
    return JSON.valueToTree(doc);
  }

  static Set<ValidationMessage> judge(Path dir) throws IOException {
    Set<ValidationMessage> errors = new java.util.LinkedHashSet<>();
    errors.addAll(schema("topics.schema.json").validate(editorView(dir.resolve("topics.yaml"))));
    errors.addAll(schema("transformations.schema.json").validate(editorView(dir.resolve("transformations.yaml"))));
    return errors;
  }

  static Set<String> names(JsonNode properties) {
    Set<String> names = new TreeSet<>();
    properties.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void theSchemasHaveTheLoadersKeysAndValues() throws IOException {
    JsonNode defs = schemaNode("topics.schema.json").path("definitions");
    JsonNode topic = defs.path("topic").path("properties");
    assertThat(names(topic)).isEqualTo(new TreeSet<>(ConfigLoader.TOPIC_KEYS));
    assertThat(names(defs.path("sink").path("properties"))).isEqualTo(new TreeSet<>(ConfigLoader.SINK_KEYS));
    JsonNode maintenance = defs.path("maintenance").path("properties");
    assertThat(names(maintenance)).containsExactlyInAnyOrder(MaintenanceParser.ENABLED, MaintenanceParser.CHECK_EVERY,
        MaintenanceParser.REWRITE, MaintenanceParser.EXPIRE, MaintenanceParser.ORPHANS);
    assertThat(names(maintenance.path(MaintenanceParser.REWRITE).path("properties"))).containsExactlyInAnyOrderElementsOf(
        MaintenanceParser.REWRITE_KEYS);
    assertThat(names(maintenance.path(MaintenanceParser.EXPIRE).path("properties"))).containsExactlyInAnyOrderElementsOf(
        MaintenanceParser.EXPIRE_KEYS);
    assertThat(names(maintenance.path(MaintenanceParser.ORPHANS).path("properties"))).containsExactlyInAnyOrderElementsOf(
        MaintenanceParser.ORPHANS_KEYS);
    assertThat(names(defs.path("sourceColumn").path("properties")))
        .containsExactlyInAnyOrder(ConfigLoader.NAME, ConfigLoader.TYPE, ConfigLoader.EXPRESSION);
    assertThat(names(defs.path("column").path("properties"))).containsExactlyInAnyOrder(ConfigLoader.NAME, ConfigLoader.TYPE);
    assertThat(names(topic.path("watermark").path("properties")))
        .containsExactlyInAnyOrder(ConfigLoader.COLUMN, ConfigLoader.DELAY, ConfigLoader.IDLE_TIMEOUT);
    assertThat(texts(topic.path("scan_mode").path("enum"))).isEqualTo(ScanMode.names());
    assertThat(texts(topic.path("on_error").path("enum"))).isEqualTo(OnError.names());
    assertThat(texts(topic.path("format").path("enum"))).isEqualTo(ConfigLoader.FORMATS);
    assertThat(texts(topic.path("kafka_properties").path("propertyNames").path("not").path("anyOf").get(1).path("enum")))
        .containsExactlyInAnyOrderElementsOf(ConfigLoader.RESERVED_KAFKA_PROPERTIES);
    JsonNode transformation = schemaNode("transformations.schema.json").path("properties").path("transformations")
        .path("additionalProperties").path("properties");
    assertThat(names(transformation)).containsExactlyInAnyOrder(ConfigLoader.CLASS, ConfigLoader.MODULE,
        ConfigLoader.DESCRIPTION);
  }

  @Test
  void theClassValuedKeyPatternIsTheLoadersRule() throws IOException {
    java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(
        schemaNode("topics.schema.json").path("definitions").path("classValuedKey").path("pattern").asText());
    for (String key : List.of("interceptor.classes", "sasl.login.class", "metric.reporters", "security.providers",
        "config.providers", "config.providers.file.class", "write.location-provider.impl", "key.deserializer",
        "max.poll.records", "isolation.level", "write.format.default", "fail-on-missing-field", "client.rack")) {
      assertThat(pattern.matcher(key).find()).as(key).isEqualTo(ConfigLoader.namesClasses(key));
    }
  }

  @Test
  void theShippedConfigIsValidAndPointsAtTheSchemas() throws IOException {
    assertThat(judge(Path.of("config"))).isEmpty();
    assertThat(Files.readString(Path.of("config/topics.yaml")))
        .startsWith("# yaml-language-server: $schema=schema/topics.schema.json\n");
    assertThat(Files.readString(Path.of("config/transformations.yaml")))
        .startsWith("# yaml-language-server: $schema=schema/transformations.schema.json\n");
  }

  static Stream<String> cases() throws IOException {
    try (Stream<Path> dirs = Files.list(CASES)) {
      return dirs.map(p -> p.getFileName().toString()).filter(n -> !NOT_LOADABLE.contains(n)).sorted()
          .collect(Collectors.toList()).stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachBrokenConfigIsJudgedAsTheLoaderJudgesIt(String name) throws IOException {
    Set<ValidationMessage> errors = judge(CASES.resolve(name));
    if (SCHEMA_REFUSES.contains(name)) {
      assertThat(errors).as("the loader refuses it; so must the schema").isNotEmpty();
    } else {
      assertThat(errors).as("the loader refuses it for a reason no schema can see (SQL, classes, the catalog, other "
          + "entries); the schema must not refuse it for another").isEmpty();
    }
  }

  @Test
  void everyBrokenConfigIsClassified() throws IOException {
    List<String> all = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(CASES)) {
      dirs.forEach(p -> all.add(p.getFileName().toString()));
    }
    assertThat(all).containsAll(SCHEMA_REFUSES).containsAll(NOT_LOADABLE);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
