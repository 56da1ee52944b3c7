package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.streamingjob.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plans the job from YAML without Kafka or a catalog: the checks behind {@code --validate}. */
class JobPlannerTest {
  static final String KAFKA = "{\"PropertyGroupId\":\"KafkaSource\",\"PropertyMap\":{\"bootstrap.servers\":\"localhost:9092\"}}";
  static final String HADOOP = "{\"PropertyGroupId\":\"IcebergCatalog\",\"PropertyMap\":{\"type\":\"hadoop\","
      + "\"warehouse\":\"file:///tmp/never-created\"}}";

  @TempDir Path dir;

  private CliArgs args(String topicsYaml, String... groups) throws IOException {
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.writeString(config.resolve("topics.yaml"), topicsYaml);
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(config.resolve("../props.json"), "[" + String.join(",", groups) + "]");
    return CliArgs.parse("--validate", "--config-dir", config.toString(), "--properties", dir.resolve("props.json").toString());
  }

  private static String shipped() throws IOException {
    return Files.readString(Path.of("config/topics.yaml"));
  }

  private static StreamingJob.Assembly assemble(CliArgs cli) {
    return StreamingJob.Assembly.of(cli, StreamExecutionEnvironment.getExecutionEnvironment(), JobSources.fromArgs(cli));
  }

  private static String problems(CliArgs cli) {
    try {
      assemble(cli);
    } catch (ConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected the job to be refused");
  }

  @Test
  void shippedConfigPlansAsOneStatementSet() throws IOException {
    StreamingJob.Assembly job = assemble(args(shipped(), KAFKA, HADOOP));
    assertThat(job.pipelines.stream().map(p -> p.topic().name()).collect(Collectors.toList()))
        .containsExactly("bid-events", "user-activity", "order-events", "bid-events-aggregated", "customers");
    String plan = job.planner.explainAgainstStandInSinks(job.pipelines);
    assertThat(plan).contains("validate_sink_bid_events_raw", "validate_sink_user_events_processed",
        "validate_sink_order_events_enriched", "validate_sink_bid_events_aggregated", "WindowAggregate");
    // bid-events and bid-events-aggregated read one Kafka topic: the job reads it once (as a stream, since the
    // aggregation's late records are kept).
    String execution = plan.substring(plan.indexOf("== Optimized Execution Plan =="));
    assertThat(execution).doesNotContain("source_bid_events_aggregated__raw");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    CliArgs cli = args(shipped(), KAFKA, HADOOP);
    StreamingJob.Assembly own = StreamingJob.Assembly.of(cli, env, JobSources.fromArgs(cli));
    own.planner.operatorsAgainstStandInSinks(env, own.pipelines);
    assertThat(env.getStreamGraph().getStreamNodes()).filteredOn(n -> n.getOperatorName().startsWith("Source: ")
        && n.getOperatorName().contains("bid_events")).hasSize(1);
    assertThat(job.tableEnv.getConfig().getLocalTimeZone().getId()).isEqualTo("UTC");
    assertThat(job.planner.describe(job.pipelines.get(2))).contains("WHERE amount > 0",
        "INSERT INTO `iceberg`.`streaming`.`order_events_enriched` (`order_id`, `user_id`, `amount`, `status`, "
            + "`order_time`, `ingestion_time`)");
    assertThat(StreamingJob.validate(args(shipped(), KAFKA, HADOOP), StreamExecutionEnvironment.getExecutionEnvironment()))
        .isTrue();
  }

  /** --validate says, per pipeline with event time, how long a quiet partition holds it, and where late records go. */
  @Test
  void validateTellsIdlenessAndWhereLateRecordsGo() throws IOException {
    StreamingJob.Assembly job = assemble(args(shipped(), KAFKA, HADOOP));
    String windowed = job.planner.describe(job.pipelines.get(3));
    assertThat(windowed).contains("-- event time: event_time, watermark 5 s behind the newest event of the slowest "
        + "partition; a partition silent for 30 s no longer holds it back (idle_timeout)\n")
        .contains("-- late records (event time at or behind the watermark when read), kept instead of dropped\n"
            + "INSERT INTO `iceberg`.`streaming`.`late_records` (`pipeline`, `kafka_topic`, `kafka_partition`, "
            + "`kafka_offset`, `kafka_timestamp`, `event_time`, `watermark`, `record`, `ingestion_time`)");
    assertThat(job.planner.describe(job.pipelines.get(0))).as("the raw bids: no event time of their own")
        .doesNotContain("-- event time").doesNotContain("late_records");

    String strict = shipped().replace("    watermark:                                     # extension: event time for "
        + "windows\n", "    on_error: \"fail\"\n    watermark:\n").replace("      delay: \"5 s\"\n",
        "      delay: \"5 s\"\n      idle_timeout: \"off\"\n");
    StreamingJob.Assembly failing = assemble(args(strict, KAFKA, HADOOP));
    assertThat(failing.planner.describe(failing.pipelines.get(3)))
        .contains("idle_timeout off: a silent partition holds every window open")
        .contains("-- late records NOT kept (on_error: fail)").doesNotContain("INSERT INTO `iceberg`.`streaming`.`late_records`");
    assertThat(JobPlanner.tables(failing.pipelines)).extracting(t -> t.tableName()).doesNotContain("late_records");
  }

  @Test
  void validateTellsWhereEachTablesFreshnessIsMeasuredAndNoClientSecret() throws IOException {
    StreamingJob.Assembly job = assemble(args(shipped(), KAFKA, HADOOP));
    java.util.List<io.github.streamingjob.metrics.TableWatch.Read> reads = StreamingJob.watchedReads(job);
    assertThat(reads).extracting(r -> r.topic() + " " + r.pipelines() + " " + r.tables()).containsExactlyInAnyOrder(
        "bid-events [bid-events, bid-events-aggregated] [bid_events_raw, bid_events_aggregated]",
        "user-activity [user-activity] [user_events_processed]",
        "order-events [order-events] [order_events_enriched]",
        "shop.public.customers [customers] [customers]");
    String text = io.github.streamingjob.metrics.TableWatch.describe(reads);
    assertThat(text).startsWith("-- metrics (group kinesisanalytics, docs/operations.md): per table freshnessSeconds, "
        + "lastCommitAgeSeconds, rowsCommitted, commits; per pipeline recordsRead, malformedRecords, lateRecords, "
        + "kafkaLagRecords\n")
        .contains("--   freshness of bid_events_raw, bid_events_aggregated: Kafka topic bid-events, group "
            + "flink-bid-events-v1's committed offsets\n")
        .doesNotContain("bootstrap").doesNotContain("sasl");
  }

  @Test
  void sinkSchemaThatDoesNotMatchTheQueryShowsExpectedAndActual() throws IOException {
    String topics = shipped().replaceFirst("- name: \"amount\"\n          type: \"DOUBLE\"",
        "- name: \"amount\"\n          type: \"INT\"");
    assertThat(problems(args(topics, KAFKA, HADOOP))).isEqualTo("1 configuration problem:\n"
        + "  - topics.yaml: topic 'bid-events': key 'sink.schema': the query does not match sink.schema: "
        + "column 3 'amount': expected INT, the query returns DOUBLE\n"
        + "      expected: user_id BIGINT, bid_id STRING, amount INT, event_time TIMESTAMP(3), ingestion_time TIMESTAMP(3)\n"
        + "      actual:   user_id BIGINT, bid_id STRING, amount DOUBLE, event_time TIMESTAMP_LTZ(3), "
        + "ingestion_time TIMESTAMP_LTZ(3) NOT NULL");
  }

  @Test
  void renamedOrMissingColumnsAreNamed() throws IOException {
    String topics = shipped().replace("- name: \"activity_time\"", "- name: \"activity_ts\"")
        .replace("        - name: \"ingestion_time\"\n          type: \"TIMESTAMP(3)\"\n    transformation: \"order_events_enriched\"",
            "    transformation: \"order_events_enriched\"");
    String message = problems(args(topics, KAFKA, HADOOP));
    assertThat(message).contains("topic 'user-activity': key 'sink.schema': the query does not match sink.schema: "
        + "column 4: expected 'activity_ts', the query returns 'activity_time'");
    assertThat(message).contains("topic 'order-events': key 'sink.schema': the query does not match sink.schema: "
        + "expected 5 columns, the query returns 6");
  }

  @Test
  void sqlReferencingAnUnknownColumnIsNamed() throws IOException {
    String topics = shipped().replace("transformation: \"user_events_processed\"", "transformation: \"bad\"");
    Path config = dir.resolve("config");
    CliArgs cli = args(topics, KAFKA, HADOOP);
    Files.writeString(config.resolve("transformations.yaml"), Files.readString(Path.of("config/transformations.yaml"))
        + "  bad:\n    class: \"io.github.streamingjob.job.UnknownColumnTransformer\"\n");
    assertThat(problems(cli)).contains("topics.yaml: topic 'user-activity': key 'transformation': the SQL of "
        + "UnknownColumnTransformer is invalid: ").contains("Column 'no_such_column' not found");
  }

  @Test
  void s3TablesNamesAreCheckedWhenThatCatalogIsChosen() throws IOException {
    String s3tables = "{\"PropertyGroupId\":\"IcebergCatalog\",\"PropertyMap\":{\"type\":\"s3tables\","
        + "\"warehouse\":\"arn:aws:s3tables:eu-west-1:123456789012:bucket/b\",\"namespace\":\"Streaming-NS\"}}";
    String topics = shipped().replace("table_name: \"bid_events_raw\"", "table_name: \"BidEventsRaw\"");
    String message = problems(args(topics, KAFKA, s3tables));
    assertThat(message).contains("property group 'IcebergCatalog': key 'namespace': 'Streaming-NS' is not a "
        + "namespace name: S3 Tables takes lowercase letters, digits and underscores, starting and ending with a "
        + "letter or digit");
    // Property problems stop the job before topics are looked at; fix the namespace to see the table.
    String fixed = s3tables.replace("Streaming-NS", "streaming");
    assertThat(problems(args(topics, KAFKA, fixed))).isEqualTo("1 configuration problem:\n"
        + "  - topics.yaml: topic 'bid-events': key 'sink.table_name': 'BidEventsRaw' is not a table name: S3 Tables "
        + "takes lowercase letters, digits and underscores, starting and ending with a letter or digit");
  }

  @Test
  void topicsOverrideSelectsExactlyThoseTopics() throws IOException {
    String job = "{\"PropertyGroupId\":\"Job\",\"PropertyMap\":{\"topics\":\"order-events\"}}";
    assertThat(assemble(args(shipped(), KAFKA, HADOOP, job)).pipelines).extracting(p -> p.topic().name())
        .containsExactly("order-events");
    String typo = "{\"PropertyGroupId\":\"Job\",\"PropertyMap\":{\"topics\":\"order-event\"}}";
    assertThat(problems(args(shipped(), KAFKA, HADOOP, typo))).contains(
        "property group 'Job': key 'topics': 'order-event' is not a topic of topics.yaml (did you mean 'order-events'?)");
  }

  @Test
  void missingPropertiesAreAllNamed() throws IOException {
    assertThat(problems(args(shipped()))).isEqualTo("3 configuration problems:\n"
        + "  - " + dir.resolve("props.json") + ": property group 'KafkaSource': key 'bootstrap.servers': missing (required)\n"
        + "  - " + dir.resolve("props.json") + ": property group 'IcebergCatalog': key 'type': missing (required)\n"
        + "  - " + dir.resolve("props.json") + ": property group 'IcebergCatalog': key 'warehouse': missing (required)");
  }

  @Test
  void secretsNeverAppearInErrors() throws IOException {
    String scram = "{\"PropertyGroupId\":\"KafkaSource\",\"PropertyMap\":{\"bootstrap.servers\":\"b:9096\","
        + "\"auth\":\"scram\",\"sasl.username\":\"bob\",\"sasl.password\":\"s3cr3t-Pa55\"}}";
    String topics = shipped().replaceFirst("format: \"json\"", "format: \"json\"\n    format_options:\n      bogus: \"x\"");
    String message = problems(args(topics, scram, HADOOP));
    assertThat(message).contains("topic 'bid-events'").contains("bogus").doesNotContain("s3cr3t-Pa55");
  }

  @Test
  void secretsNeverAppearInLogsOrPrintedDdl() throws IOException {
    String scram = "{\"PropertyGroupId\":\"KafkaSource\",\"PropertyMap\":{\"bootstrap.servers\":\"b:9096\","
        + "\"auth\":\"scram\",\"sasl.username\":\"bob\",\"sasl.password\":\"s3cr3t-Pa55\"}}";
    org.apache.logging.log4j.core.LoggerContext ctx =
        (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
    org.apache.logging.log4j.core.config.Configuration config = ctx.getConfiguration();
    java.io.StringWriter logs = new java.io.StringWriter();
    org.apache.logging.log4j.core.appender.WriterAppender appender =
        org.apache.logging.log4j.core.appender.WriterAppender.createAppender(
            org.apache.logging.log4j.core.layout.PatternLayout.createDefaultLayout(), null, logs, "capture", false, true);
    appender.start();
    org.apache.logging.log4j.Level rootLevel = config.getRootLogger().getLevel();
    config.getRootLogger().addAppender(appender, org.apache.logging.log4j.Level.ALL, null);
    config.getRootLogger().setLevel(org.apache.logging.log4j.Level.DEBUG);
    ctx.updateLoggers();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream originalOut = System.out;
    try {
      System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
      assertThat(StreamingJob.validate(args(shipped(), scram, HADOOP), StreamExecutionEnvironment.getExecutionEnvironment()))
          .isTrue();
    } finally {
      System.setOut(originalOut);
      config.getRootLogger().removeAppender("capture");
      config.getRootLogger().setLevel(rootLevel);
      ctx.updateLoggers();
    }
    String printed = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(printed).contains("'properties.sasl.jaas.config' = '******'").doesNotContain("s3cr3t-Pa55");
    assertThat(logs.toString()).contains("sasl.password=******").doesNotContain("s3cr3t-Pa55");
  }
}
