package io.github.streamingjob.config;

import io.github.streamingjob.config.Problems.At;
import io.github.streamingjob.util.Secrets;
import io.github.streamingjob.util.Sql;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.util.TimeUtils;

/**
 * The runtime properties: on MSF its property groups, locally {@code application_properties.json} in
 * the same shape ({@code [{"PropertyGroupId": ..., "PropertyMap": {...}}]}). Groups and keys are
 * declared here, in one place; unknown ones are errors, like Flink's own option validation.
 */
public final class RuntimeProperties {
  public static final String KAFKA_GROUP = "KafkaSource";
  public static final String CATALOG_GROUP = "IcebergCatalog";
  public static final String JOB_GROUP = "Job";
  /** Read by the local runner only (embedded broker, sample data); ignored on MSF. */
  public static final String LOCAL_GROUP = "Local";
  /** Defaults of every schema-registry topic's format_options: where the registry's credentials belong. */
  public static final String REGISTRY_GROUP = "SchemaRegistry";

  // KafkaSource
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String AUTH = "auth";
  public static final String SASL_USERNAME = "sasl.username";
  public static final String SASL_PASSWORD = "sasl.password";
  public static final String SASL_MECHANISM = "sasl.mechanism";
  public static final String SECURITY_PROTOCOL = "security.protocol";
  public static final String BOUNDED = "bounded";
  // IcebergCatalog
  public static final String CATALOG_TYPE = "type";
  public static final String WAREHOUSE = "warehouse";
  public static final String NAMESPACE = "namespace";
  public static final String CATALOG_NAME = "name";
  public static final String URI = "uri";
  /** Prefix of extra Iceberg catalog properties, passed on without the prefix. */
  public static final String CATALOG_PASSTHROUGH = "iceberg.";
  // Job
  public static final String CONFIG_DIR = "config.dir";
  public static final String TOPICS = "topics";
  public static final String PARALLELISM = "parallelism";
  public static final String CHECKPOINT_INTERVAL = "checkpoint.interval";
  public static final String LOCAL_TIME_ZONE = "local.time.zone";
  public static final String OBJECT_REUSE = "object.reuse";
  public static final String ROLE = "role";
  // Local
  public static final String EMBEDDED_KAFKA = "embedded.kafka";
  public static final String SAMPLE_EVENTS_PER_SECOND = "sample.events.per.second";
  public static final String WAREHOUSE_DIR = "warehouse.dir";
  // SchemaRegistry: the options of the same names of Flink's avro-confluent, and of avro-glue
  public static final List<String> CONFLUENT_REGISTRY_KEYS = List.of("url", "basic-auth.credentials-source",
      "basic-auth.user-info", "bearer-auth.credentials-source", "bearer-auth.token");
  public static final List<String> GLUE_REGISTRY_KEYS = List.of("registry.name", "region", "endpoint");
  public static final List<String> REGISTRY_KEYS = java.util.stream.Stream.concat(CONFLUENT_REGISTRY_KEYS.stream(),
      GLUE_REGISTRY_KEYS.stream()).collect(java.util.stream.Collectors.toUnmodifiableList());

  private static final Map<String, List<String>> KEYS = new LinkedHashMap<>();

  static {
    KEYS.put(KAFKA_GROUP, List.of(BOOTSTRAP_SERVERS, AUTH, SASL_USERNAME, SASL_PASSWORD, SASL_MECHANISM,
        SECURITY_PROTOCOL, BOUNDED));
    KEYS.put(CATALOG_GROUP, List.of(CATALOG_TYPE, WAREHOUSE, NAMESPACE, CATALOG_NAME, URI));
    KEYS.put(JOB_GROUP, List.of(CONFIG_DIR, TOPICS, PARALLELISM, CHECKPOINT_INTERVAL, LOCAL_TIME_ZONE, OBJECT_REUSE,
        ROLE));
    KEYS.put(LOCAL_GROUP, List.of(EMBEDDED_KAFKA, SAMPLE_EVENTS_PER_SECOND, WAREHOUSE_DIR));
    KEYS.put(REGISTRY_GROUP, REGISTRY_KEYS);
  }

  private final String source;
  private final Map<String, Properties> groups;

  public RuntimeProperties(String source, Map<String, Properties> groups) {
    this.source = source;
    Map<String, Properties> copy = new LinkedHashMap<>();
    groups.forEach((k, v) -> {
      Properties p = new Properties();
      p.putAll(v);
      copy.put(k, p);
    });
    this.groups = copy;
  }

  /** Reads a local file in MSF's shape. */
  public static RuntimeProperties fromFile(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(file));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new ConfigException(file + ": file not found");
    } catch (IOException e) {
      throw new ConfigException(file + ": not valid JSON: " + e.getMessage().split("\n")[0]);
    }
    String name = file.toString();
    if (root == null || !root.isArray()) {
      throw new ConfigException(name + ": expected a JSON array of {\"PropertyGroupId\": ..., \"PropertyMap\": {...}}");
    }
    Map<String, Properties> groups = new LinkedHashMap<>();
    Problems problems = new Problems();
    for (JsonNode g : root) {
      JsonNode id = g.get("PropertyGroupId");
      JsonNode map = g.get("PropertyMap");
      if (id == null || !id.isTextual() || map == null || !map.isObject()) {
        problems.add(At.file(name), "every element needs \"PropertyGroupId\" (string) and \"PropertyMap\" (object)");
        continue;
      }
      Properties p = new Properties();
      map.fields().forEachRemaining(f -> p.setProperty(f.getKey(), f.getValue().asText()));
      groups.put(id.asText(), p);
    }
    problems.throwIfAny();
    return new RuntimeProperties(name, groups);
  }

  /** A copy with one property set; the local runner points the job at its embedded broker this way. */
  public RuntimeProperties with(String group, String key, String value) {
    Map<String, Properties> copy = new LinkedHashMap<>(groups);
    Properties p = group(group);
    p.setProperty(key, value);
    copy.put(group, p);
    return new RuntimeProperties(source, copy);
  }

  /** Where the properties came from (a file, or MSF). */
  public String source() {
    return source;
  }

  public Properties group(String name) {
    Properties p = new Properties();
    Properties g = groups.get(name);
    if (g != null) {
      p.putAll(g);
    }
    return p;
  }

  /** A group's keys and values (empty if absent). */
  public Map<String, String> map(String group) {
    Map<String, String> m = new LinkedHashMap<>();
    Properties g = groups.get(group);
    if (g != null) {
      g.stringPropertyNames().forEach(k -> m.put(k, g.getProperty(k)));
    }
    return m;
  }

  public Optional<String> get(String group, String key) {
    Properties g = groups.get(group);
    String v = g == null ? null : g.getProperty(key);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  public String require(String group, String key, Problems problems) {
    return get(group, key).orElseGet(() -> {
      problems.add(at(group).key(key), "missing (required)");
      return null;
    });
  }

  public boolean getBoolean(String group, String key, boolean fallback) {
    return get(group, key).map(v -> Boolean.parseBoolean(v.toLowerCase(Locale.ROOT))).orElse(fallback);
  }

  public Optional<Integer> getInt(String group, String key, Problems problems) {
    return get(group, key).flatMap(v -> {
      try {
        return Optional.of(Integer.parseInt(v));
      } catch (NumberFormatException e) {
        problems.add(at(group).key(key), "'" + v + "' is not a whole number");
        return Optional.empty();
      }
    });
  }

  public Optional<Duration> getDuration(String group, String key, Problems problems) {
    return get(group, key).flatMap(v -> {
      try {
        return Optional.of(TimeUtils.parseDuration(v));
      } catch (IllegalArgumentException e) {
        problems.add(at(group).key(key), "'" + v + "' is not a duration (e.g. '10 s', '1 min')");
        return Optional.empty();
      }
    });
  }

  /** Comma-separated list; empty if unset. */
  public List<String> getList(String group, String key) {
    return get(group, key)
        .map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toList()))
        .orElse(List.of());
  }

  /** Unknown groups and keys, with the nearest known name; catalog passthrough keys are allowed. */
  public void checkKnownKeys(Problems problems) {
    for (Map.Entry<String, Properties> g : groups.entrySet()) {
      List<String> known = KEYS.get(g.getKey());
      if (known == null) {
        problems.add(At.file(source), "unknown property group '" + g.getKey() + "'"
            + Problems.didYouMean(g.getKey(), KEYS.keySet()) + " (known: " + new ArrayList<>(KEYS.keySet()) + ")");
        continue;
      }
      for (String key : g.getValue().stringPropertyNames()) {
        boolean passthrough = g.getKey().equals(CATALOG_GROUP) && key.startsWith(CATALOG_PASSTHROUGH);
        if (!known.contains(key) && !passthrough) {
          problems.add(at(g.getKey()).key(key), "unknown property" + Problems.didYouMean(key, known)
              + " (known: " + known + ")");
        }
      }
    }
  }

  public At at(String group) {
    return At.file(source).entry("property group", group);
  }

  /** The secret values of every group: values of secret keys, passwords inside URIs. */
  public Secrets secrets() {
    Secrets secrets = Secrets.none();
    for (String group : groups.keySet()) {
      secrets = secrets.and(map(group));
    }
    return secrets;
  }

  /** Group contents with secret values hidden, for logs. */
  @Override
  public String toString() {
    Secrets secrets = secrets();
    Map<String, Map<String, String>> shown = new LinkedHashMap<>();
    groups.forEach((name, p) -> {
      Map<String, String> m = new LinkedHashMap<>();
      p.stringPropertyNames().stream().sorted().forEach(k ->
          m.put(k, Secrets.isSecretKey(k) ? Sql.HIDDEN : secrets.redact(p.getProperty(k))));
      shown.put(name, m);
    });
    return source + " " + shown;
  }
}
