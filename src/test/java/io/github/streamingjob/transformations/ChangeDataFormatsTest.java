package io.github.streamingjob.transformations;

import static io.github.streamingjob.testing.TransformerTestHarness.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.testing.TransformerTestHarness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped customers pipeline fed the same changes (Ann inserted, Bob inserted, Ann's email changed,
 * Bob deleted) in each change-data format it accepts: the table ends the same.
 */
class ChangeDataFormatsTest {
  static final List<Map<String, Object>> FINAL = List.of(
      row("customer_id", 1L, "name", "Ann", "email", "ann@y.com", "country", "DE"));

  @TempDir Path dir;

  private List<Map<String, Object>> run(String format, String formatOptions, String... records) throws IOException {
    Path config = Files.createDirectories(dir.resolve(format + formatOptions.hashCode()));
    Files.writeString(config.resolve("topics.yaml"), Files.readString(Path.of("config/topics.yaml"))
        .replace("format: \"debezium-json\"", "format: \"" + format + "\"" + formatOptions));
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"));
    return TransformerTestHarness.forTopic(config, "customers").run(records);
  }

  static String ann(String email) {
    return "{\"customer_id\":1,\"name\":\"Ann\",\"email\":\"" + email + "\",\"country\":\"DE\"}";
  }

  static final String BOB = "{\"customer_id\":2,\"name\":\"Bob\",\"email\":\"bob@x.com\",\"country\":\"US\"}";

  @Test
  void debeziumWithTheSchemaEnvelope() throws IOException {
    String schema = "{\"type\":\"struct\",\"fields\":[],\"optional\":false,\"name\":\"shop.public.customers.Envelope\"}";
    assertThat(run("debezium-json", "\n    format_options:\n      schema-include: true",
        "{\"schema\":" + schema + ",\"payload\":{\"before\":null,\"after\":" + ann("Ann@X.com") + ",\"op\":\"c\"}}",
        "{\"schema\":" + schema + ",\"payload\":{\"before\":null,\"after\":" + BOB + ",\"op\":\"r\"}}",
        "{\"schema\":" + schema + ",\"payload\":{\"before\":" + ann("Ann@X.com") + ",\"after\":" + ann("ann@Y.com")
            + ",\"op\":\"u\"}}",
        "{\"schema\":" + schema + ",\"payload\":{\"before\":" + BOB + ",\"after\":null,\"op\":\"d\"}}"))
        .isEqualTo(FINAL);
  }

  @Test
  void canal() throws IOException {
    assertThat(run("canal-json", "",
        "{\"data\":[" + ann("Ann@X.com") + "],\"type\":\"INSERT\",\"database\":\"shop\",\"table\":\"customers\"}",
        "{\"data\":[" + BOB + "],\"type\":\"INSERT\",\"database\":\"shop\",\"table\":\"customers\"}",
        "{\"data\":[" + ann("ann@Y.com") + "],\"old\":[{\"email\":\"Ann@X.com\"}],\"type\":\"UPDATE\","
            + "\"database\":\"shop\",\"table\":\"customers\"}",
        "{\"data\":[" + BOB + "],\"type\":\"DELETE\",\"database\":\"shop\",\"table\":\"customers\"}"))
        .isEqualTo(FINAL);
  }

  @Test
  void maxwell() throws IOException {
    assertThat(run("maxwell-json", "",
        "{\"database\":\"shop\",\"table\":\"customers\",\"type\":\"insert\",\"data\":" + ann("Ann@X.com") + "}",
        "{\"database\":\"shop\",\"table\":\"customers\",\"type\":\"insert\",\"data\":" + BOB + "}",
        "{\"database\":\"shop\",\"table\":\"customers\",\"type\":\"update\",\"data\":" + ann("ann@Y.com")
            + ",\"old\":{\"email\":\"Ann@X.com\"}}",
        "{\"database\":\"shop\",\"table\":\"customers\",\"type\":\"delete\",\"data\":" + BOB + "}"))
        .isEqualTo(FINAL);
  }
}
