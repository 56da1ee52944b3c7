package io.github.streamingjob.util;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.RuntimeProperties;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.source.KafkaSettings;
import io.github.streamingjob.source.KafkaSourceTable;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.table.utils.EncodingUtils;
import org.junit.jupiter.api.Test;

class SecretsTest {
  static final String PASSWORD = "p\"a\\ss'w0rd";

  @Test
  void secretKeysOfIcebergAwsAndKafkaAreRecognised() {
    assertThat(List.of("sasl.password", "properties.sasl.jaas.config", "iceberg.credential", "iceberg.header.Authorization",
        "iceberg.s3.secret-access-key", "iceberg.rest.session-token", "properties.ssl.key.password",
        "properties.ssl.keystore.key", "ssl.truststore.password", "iceberg.token"))
        .allSatisfy(k -> assertThat(Secrets.isSecretKey(k)).as(k).isTrue());
    assertThat(List.of("bootstrap.servers", "sasl.username", "iceberg.s3.access-key-id", "uri", "warehouse",
        "properties.group.id")).allSatisfy(k -> assertThat(Secrets.isSecretKey(k)).as(k).isFalse());
  }

  @Test
  void theScramPasswordIsRedactedInTheDdlFlinkWouldEchoInAnError() {
    Properties group = new Properties();
    group.putAll(Map.of("bootstrap.servers", "b:9096", "auth", "scram", "sasl.username", "bob", "sasl.password", PASSWORD));
    RuntimeProperties props = new RuntimeProperties("test", Map.of("KafkaSource", group));
    KafkaSettings kafka = KafkaSettings.from(props, new Problems());
    TopicDef topic = io.github.streamingjob.config.ConfigLoader.parse(
        "topics:\n  t:\n    kafka_group_id: g\n    source_schema: [{name: a, type: INT}]\n"
            + "    sink: {table_name: t, schema: [{name: a, type: INT}]}\n    transformation: x\n",
        "transformations:\n  x: {class: X}\n").topics().get(0);
    // The DDL as executed: the password JAAS-escaped inside a SQL literal.
    String ddl = String.join("\n", KafkaSourceTable.ddl(topic, kafka, false));
    assertThat(ddl).contains(EncodingUtils.escapeSingleQuotes(Secrets.jaas(PASSWORD)));
    String redacted = props.secrets().redact("Flink failed on: " + ddl + " / " + EncodingUtils.escapeJava(ddl));
    assertThat(redacted).contains("Flink failed on:", "bob").doesNotContain("w0rd");
  }

  @Test
  void aPasswordInsideAUriIsASecret() {
    Secrets s = Secrets.in(Map.of("uri", "https://user:in-uri@host/path"));
    assertThat(s.redact("GET https://user:in-uri@host/path failed")).isEqualTo("GET https://user:******@host/path failed");
    assertThat(Secrets.maskUri("https://user:in-uri@host/path")).isEqualTo("https://user:******@host/path");
    assertThat(Secrets.maskUri("https://host/path")).isEqualTo("https://host/path");
  }

  @Test
  void anExceptionIsRedactedThroughItsCauses() {
    Secrets s = Secrets.of(List.of("hunter2"));
    RuntimeException e = new IllegalStateException("outer", new RuntimeException("login with 'hunter2' refused"));
    RuntimeException clean = s.redact(e);
    assertThat(clean.getMessage()).contains("outer", "login with '******' refused").doesNotContain("hunter2");
    assertThat(clean.getCause()).isNull();
    RuntimeException harmless = new IllegalStateException("nothing secret");
    assertThat(s.redact(harmless)).isSameAs(harmless);
  }
}
