package io.github.streamingjob.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimePropertiesTest {
  @TempDir Path dir;

  private RuntimeProperties write(String json) throws IOException {
    Path f = dir.resolve("props.json");
    Files.writeString(f, json);
    return RuntimeProperties.fromFile(f);
  }

  @Test
  void readsMsfShapedGroups() throws IOException {
    RuntimeProperties p = write("[{\"PropertyGroupId\":\"KafkaSource\",\"PropertyMap\":{\"bootstrap.servers\":\"b:9098\","
        + "\"auth\":\"iam\"}},{\"PropertyGroupId\":\"Job\",\"PropertyMap\":{\"parallelism\":\"4\",\"topics\":\"a, b\"}}]");
    assertThat(p.get("KafkaSource", "bootstrap.servers")).contains("b:9098");
    Problems problems = new Problems();
    assertThat(p.getInt("Job", "parallelism", problems)).contains(4);
    assertThat(p.getList("Job", "topics")).containsExactly("a", "b");
    assertThat(p.get("Job", "missing")).isEmpty();
    p.checkKnownKeys(problems);
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void unknownGroupsAndKeysAreNamedWithSuggestions() throws IOException {
    RuntimeProperties p = write("[{\"PropertyGroupId\":\"KafkaSorce\",\"PropertyMap\":{}},"
        + "{\"PropertyGroupId\":\"Job\",\"PropertyMap\":{\"paralelism\":\"x\"}},"
        + "{\"PropertyGroupId\":\"IcebergCatalog\",\"PropertyMap\":{\"iceberg.rest.sigv4-enabled\":\"true\"}}]");
    Problems problems = new Problems();
    p.checkKnownKeys(problems);
    String file = dir.resolve("props.json").toString();
    assertThat(problems.messages()).containsExactly(
        file + ": unknown property group 'KafkaSorce' (did you mean 'KafkaSource'?) (known: "
            + "[KafkaSource, IcebergCatalog, Job, Local, SchemaRegistry])",
        file + ": property group 'Job': key 'paralelism': unknown property (did you mean 'parallelism'?) (known: "
            + "[config.dir, topics, parallelism, checkpoint.interval, local.time.zone, object.reuse, role])");
  }

  @Test
  void secretsAreHiddenInToString() throws IOException {
    RuntimeProperties p = write("[{\"PropertyGroupId\":\"KafkaSource\",\"PropertyMap\":{\"sasl.password\":\"hunter2\","
        + "\"sasl.username\":\"bob\"}}]");
    assertThat(p.toString()).contains("sasl.password=******").contains("sasl.username=bob").doesNotContain("hunter2");
  }

  @Test
  void badFilesAreNamed() throws IOException {
    assertThatThrownBy(() -> write("{not json"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("props.json: not valid JSON");
    assertThatThrownBy(() -> write("{\"PropertyGroupId\":\"x\"}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("expected a JSON array");
    assertThatThrownBy(() -> RuntimeProperties.fromFile(dir.resolve("nope.json")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("nope.json: file not found");
  }
}
