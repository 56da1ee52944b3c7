package io.github.streamingjob.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.OnError;
import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.RuntimeProperties;
import io.github.streamingjob.config.ScanMode;
import io.github.streamingjob.config.SinkDef;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.config.WatermarkDef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.VarCharType;
import org.junit.jupiter.api.Test;

public class KafkaSourceTableTest {
  public static TopicDef topic(String name) {
    return TopicDef.builder(name)
        .kafkaGroupId("g")
        .sourceSchema(List.of(ColumnDef.physical("id", new BigIntType()),
            ColumnDef.physical("we`ird", new VarCharType(VarCharType.MAX_LENGTH))))
        .sink(new SinkDef("t", List.of(ColumnDef.physical("id", new BigIntType())), List.of(), List.of(), Map.of()))
        .transformation("x")
        .build();
  }

  static KafkaSettings kafka(Map<String, String> group) {
    Properties p = new Properties();
    p.putAll(group);
    Problems problems = new Problems();
    KafkaSettings k = KafkaSettings.from(new RuntimeProperties("test", Map.of(RuntimeProperties.KAFKA_GROUP, p)), problems);
    assertThat(problems.messages()).isEmpty();
    return k;
  }

  @Test
  void plaintextDdlQuotesIdentifiersAndLiterals() {
    TopicDef t = topic("it's-a topic").toBuilder().topic("it's").onError(OnError.FAIL).build();
    List<String> ddl = KafkaSourceTable.ddl(t, kafka(Map.of("bootstrap.servers", "localhost:9092")), false);
    assertThat(ddl).containsExactly("CREATE TEMPORARY TABLE `source_it_s_a_topic` (\n"
        + "  `id` BIGINT,\n"
        + "  `we``ird` VARCHAR(2147483647)\n"
        + ") WITH (\n"
        + "  'connector' = 'kafka',\n"
        + "  'topic' = 'it''s',\n"
        + "  'properties.bootstrap.servers' = 'localhost:9092',\n"
        + "  'properties.security.protocol' = 'PLAINTEXT',\n"
        + "  'properties.group.id' = 'g',\n"
        + "  'scan.startup.mode' = 'earliest-offset',\n"
        + "  'format' = 'json',\n"
        + "  'json.fail-on-missing-field' = 'true'\n"
        + ")");
  }

  @Test
  void deadLetterModeReadsEverythingAndViewsTheWellFormedRecords() {
    TopicDef t = topic("a").toBuilder()
        .sourceSchema(List.of(ColumnDef.physical("ts", new BigIntType()),
            ColumnDef.computed("event_time", "TO_TIMESTAMP_LTZ(ts, 3)")))
        .watermark(new WatermarkDef("event_time", Duration.ofSeconds(5))).build();
    List<String> ddl = KafkaSourceTable.ddl(t, kafka(Map.of("bootstrap.servers", "b")), false);
    assertThat(ddl).containsExactly("CREATE TEMPORARY TABLE `source_a__raw` (\n"
        + "  `ts` BIGINT,\n"
        + "  `__error` STRING,\n"
        + "  `__payload` BYTES,\n"
        + "  `__kafka_partition` INT METADATA FROM 'partition' VIRTUAL,\n"
        + "  `__kafka_offset` BIGINT METADATA FROM 'offset' VIRTUAL,\n"
        + "  `__kafka_timestamp` TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,\n"
        + "  `event_time` AS TO_TIMESTAMP_LTZ(ts, 3),\n"
        + "  WATERMARK FOR `event_time` AS `event_time` - INTERVAL '0 00:00:05.000' DAY TO SECOND(3)\n"
        + ") WITH (\n"
        + "  'connector' = 'kafka',\n"
        + "  'topic' = 'a',\n"
        + "  'properties.bootstrap.servers' = 'b',\n"
        + "  'properties.security.protocol' = 'PLAINTEXT',\n"
        + "  'properties.group.id' = 'g',\n"
        + "  'scan.startup.mode' = 'earliest-offset',\n"
        + "  'scan.watermark.idle-timeout' = '30 s',\n"
        + "  'format' = 'dead-letter',\n"
        + "  'dead-letter.on-error' = 'dead-letter',\n"
        + "  'dead-letter.pipelines' = 'a',\n"
        + "  'dead-letter.format' = 'json',\n"
        + "  'dead-letter.json.fail-on-missing-field' = 'true'\n"
        + ")",
        "CREATE TEMPORARY VIEW `source_a` AS\nSELECT `ts`, `event_time`\nFROM `source_a__raw`\nWHERE `__error` IS NULL");
    assertThat(KafkaSourceTable.deadLetterSelect(t, KafkaSourceTable.rawTableName(t))).isEqualTo("SELECT 'a', 'a', `__kafka_partition`, "
        + "`__kafka_offset`, `__kafka_timestamp`, `__payload`, `__error`, CURRENT_TIMESTAMP\n"
        + "FROM `source_a__raw`\nWHERE `__error` IS NOT NULL");
  }

  @Test
  void mskIamOptions() {
    Map<String, String> o = KafkaSourceTable.options(topic("a"),
        kafka(Map.of("bootstrap.servers", "b-1.msk:9098", "auth", "iam")));
    assertThat(o).containsEntry("properties.security.protocol", "SASL_SSL")
        .containsEntry("properties.sasl.mechanism", "AWS_MSK_IAM")
        .containsEntry("properties.sasl.jaas.config", "software.amazon.msk.auth.iam.IAMLoginModule required;")
        .containsEntry("properties.sasl.client.callback.handler.class",
            "software.amazon.msk.auth.iam.IAMClientCallbackHandler");
  }

  @Test
  void scramPasswordIsHiddenWhenPrinted() {
    KafkaSettings k = kafka(Map.of("bootstrap.servers", "b:9096", "auth", "scram", "sasl.username", "bob",
        "sasl.password", "pa\"ss"));
    assertThat(KafkaSourceTable.options(topic("a"), k)).containsEntry("properties.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"bob\" password=\"pa\\\"ss\";");
    String printed = String.join("\n", KafkaSourceTable.ddl(topic("a"), k, true));
    assertThat(printed).contains("'properties.sasl.jaas.config' = '******'").doesNotContain("pa\"ss")
        .doesNotContain("pa\\\"ss");
    assertThat(k.toString()).doesNotContain("pa\"ss");
  }

  @Test
  void scramNeedsCredentials() {
    Properties p = new Properties();
    p.putAll(Map.of("bootstrap.servers", "b", "auth", "scram"));
    Problems problems = new Problems();
    KafkaSettings.from(new RuntimeProperties("f", Map.of("KafkaSource", p)), problems);
    assertThat(problems.messages()).containsExactly(
        "f: property group 'KafkaSource': key 'sasl.username': missing (required)",
        "f: property group 'KafkaSource': key 'sasl.password': missing (required)");
  }

  @Test
  void formatsScanModesAndExtraProperties() {
    TopicDef t = topic("a").toBuilder().format("csv").formatOptions(Map.of("field-delimiter", ";"))
        .scanMode(ScanMode.TIMESTAMP).startupTimestampMillis(1700000000000L)
        .kafkaProperties(Map.of("max.poll.records", "500")).build();
    Map<String, String> o = KafkaSourceTable.options(t, kafka(Map.of("bootstrap.servers", "b")));
    assertThat(KafkaSourceTable.options(t.toBuilder().onError(OnError.FAIL).build(), kafka(Map.of("bootstrap.servers", "b"))))
        .containsEntry("format", "csv").containsEntry("csv.field-delimiter", ";");
    assertThat(o).containsEntry("format", "dead-letter").containsEntry("dead-letter.format", "csv")
        .containsEntry("dead-letter.csv.field-delimiter", ";")
        .containsEntry("scan.startup.mode", "timestamp")
        .containsEntry("scan.startup.timestamp-millis", "1700000000000")
        .containsEntry("properties.max.poll.records", "500")
        .doesNotContainKey("dead-letter.json.fail-on-missing-field");
  }

  @Test
  void computedColumnAndWatermark() {
    TopicDef t = topic("a").toBuilder()
        .sourceSchema(List.of(ColumnDef.physical("ts", new BigIntType()),
            ColumnDef.computed("event_time", "TO_TIMESTAMP_LTZ(ts, 3)")))
        .watermark(new WatermarkDef("event_time", Duration.ofMillis(90_500))).build();
    assertThat(KafkaSourceTable.ddl(t, kafka(Map.of("bootstrap.servers", "b")), true).get(0))
        .contains("  `event_time` AS TO_TIMESTAMP_LTZ(ts, 3),\n"
            + "  WATERMARK FOR `event_time` AS `event_time` - INTERVAL '0 00:01:30.500' DAY TO SECOND(3)\n");
  }

  @Test
  void theEntriesReadingATableReachTheFormatAsFlinkParsesAListWhateverTheirNames() {
    List<String> names = List.of("bid-events", "a;b", "it's", "q\"x", "");
    String option = KafkaSourceTable.listOption(names);
    assertThat(org.apache.flink.configuration.Configuration.fromMap(java.util.Map.of("pipelines", option))
        .get(DeadLetterFormatFactory.PIPELINES)).isEqualTo(names);
    assertThat(KafkaSourceTable.listOption(List.of("bid-events", "bid-events-aggregated")))
        .isEqualTo("bid-events;bid-events-aggregated");
  }
}
