package io.github.streamingjob.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.streamingjob.config.ConfigException;
import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.JobConfig;
import io.github.streamingjob.config.TopicDef;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.logical.LogicalType;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.glue.model.AccessDeniedException;
import software.amazon.awssdk.services.glue.model.EntityNotFoundException;
import software.amazon.awssdk.services.glue.model.GlueException;

/** The registry-format rules that need no registry: loading, type checks, and which failures are the record's. */
class RegistrySchemasTest {
  static LogicalType type(org.apache.flink.table.types.DataType t) {
    return t.getLogicalType();
  }

  @Test
  void aColumnReadsItsFieldWhenEqualOrAnAvroPromotionAndNeverNullIntoNotNull() {
    assertThat(RegistrySchemas.reads(type(DataTypes.BIGINT().notNull()), type(DataTypes.BIGINT()))).isTrue();
    assertThat(RegistrySchemas.reads(type(DataTypes.INT().notNull()), type(DataTypes.BIGINT()))).isTrue();
    assertThat(RegistrySchemas.reads(type(DataTypes.FLOAT()), type(DataTypes.DOUBLE()))).isTrue();
    assertThat(RegistrySchemas.reads(type(DataTypes.STRING()), type(DataTypes.BYTES()))).isTrue();
    assertThat(RegistrySchemas.reads(type(DataTypes.BIGINT().notNull()), type(DataTypes.INT()))).isFalse();
    assertThat(RegistrySchemas.reads(type(DataTypes.STRING()), type(DataTypes.STRING().notNull()))).isFalse();
    assertThat(RegistrySchemas.reads(type(DataTypes.STRING()), type(DataTypes.BIGINT()))).isFalse();
  }

  @Test
  void anUnknownIdIsTheRecordsFaultAnUnreachableOrFailingRegistryIsNot() {
    assertThat(RegistrySchemas.unavailable(new IOException("Could not find schema with id 9 in registry",
        new RestClientException("Schema 9 not found", 404, 40403)))).isFalse();
    assertThat(RegistrySchemas.unavailable(new IOException("Failed to deserialize Avro record.",
        new RestClientException("Internal Server Error", 500, 50001)))).isTrue();
    assertThat(RegistrySchemas.unavailable(new IOException("Failed to deserialize Avro record.",
        new ConnectException("Connection refused")))).isTrue();
    assertThat(RegistrySchemas.unavailable(new IOException("Unknown data format. Magic number does not match")))
        .isFalse();
    assertThat(RegistrySchemas.unavailable(new RuntimeException("Found string, expecting long"))).isFalse();
  }

  @Test
  void aSchemaVersionGlueDoesNotHoldIsTheRecordsFaultGlueUnreachableRefusingOrThrottlingIsNot() {
    assertThat(RegistrySchemas.unavailable(new IOException("the Glue schema registry does not hold schema version x",
        EntityNotFoundException.builder().message("Schema version is not found.").build()))).isFalse();
    assertThat(RegistrySchemas.unavailable(new IOException("Glue did not give schema version x",
        SdkClientException.create("Unable to execute HTTP request", new ConnectException("Connection refused")))))
        .isTrue();
    assertThat(RegistrySchemas.unavailable(new IOException("Glue did not give schema version x",
        AccessDeniedException.builder().message("not authorized to perform glue:GetSchemaVersion").build())))
        .isTrue();
    assertThat(RegistrySchemas.unavailable(new IOException("Glue did not give schema version x",
        GlueException.builder().statusCode(400).message("Rate exceeded").build()))).isTrue();
  }

  @Test
  void aRegistryTopicMayLeaveOutItsColumnsOthersMayNot() throws IOException {
    String shipped = Files.readString(Path.of("config/topics.yaml"));
    String transformations = Files.readString(Path.of("config/transformations.yaml"));
    JobConfig config = ConfigLoader.parse(shipped, transformations);
    TopicDef payments = config.topics().stream().filter(t -> t.name().equals("payments")).findFirst().orElseThrow();
    assertThat(payments.sourceSchema()).isEmpty();
    assertThat(RegistrySchemas.subject(payments)).isEqualTo("payments-value");

    String noColumns = shipped.replaceFirst("(?s)    source_schema:\n(      - name: \"\\w+\"\n        type: \"\\w+\"\n)+", "");
    assertThatThrownBy(() -> ConfigLoader.parse(noColumns, transformations)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("topics.yaml: topic 'bid-events': key 'source_schema': missing (required)");

    // Without an address, here or in the property group SchemaRegistry: refused before any connection.
    TopicDef noUrl = payments.toBuilder().formatOptions(Map.of()).build();
    assertThatThrownBy(() -> RegistrySchemas.resolve(List.of(noUrl), Map.of())).isInstanceOf(ConfigException.class)
        .hasMessageContaining("topics.yaml: topic 'payments': key 'format_options.url': missing: format "
            + "'avro-confluent' reads each record's schema from a schema registry");
  }
}
