package io.github.streamingjob.source;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.OnError;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.config.WatermarkDef;
import io.github.streamingjob.util.Sql;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.util.TimeUtils;

/**
 * Generates the Kafka source of one topic. With {@code on_error: fail} it is one table. Otherwise it
 * is a raw table in the {@link DeadLetterFormatFactory dead-letter format} with the Kafka metadata,
 * plus a view of its well-formed records: the name the transformer gets.
 */
public final class KafkaSourceTable {
  public static final String KAFKA_PARTITION = "__kafka_partition";
  public static final String KAFKA_OFFSET = "__kafka_offset";
  public static final String KAFKA_TIMESTAMP = "__kafka_timestamp";
  /** Flink's source idleness, per table (FLIP-296). */
  static final String IDLE_TIMEOUT_OPTION = "scan.watermark.idle-timeout";

  private KafkaSourceTable() {}

  /** The table (or view) a topic is read through; the name handed to its transformer. */
  public static String tableName(TopicDef topic) {
    return "source_" + topic.name().replaceAll("[^A-Za-z0-9_]", "_");
  }

  /** The table holding every record, malformed ones included, when the topic has a dead-letter mode. */
  public static String rawTableName(TopicDef topic) {
    return tableName(topic) + "__raw";
  }

  public static boolean keepsMalformed(TopicDef topic) {
    return topic.onError() != OnError.FAIL;
  }

  /** Connector options: topic, group, start position, format and the cluster's client properties. */
  public static Map<String, String> options(TopicDef topic, KafkaSettings kafka) {
    return options(topic, kafka, List.of(topic.name()));
  }

  /** As above, for the table {@code pipelines} read (several, when they share it): its metrics are theirs. */
  public static Map<String, String> options(TopicDef topic, KafkaSettings kafka, List<String> pipelines) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("connector", "kafka");
    o.put("topic", topic.topic());
    kafka.clientProperties().forEach((k, v) -> o.put("properties." + k, v));
    o.put("properties.group.id", topic.kafkaGroupId());
    topic.kafkaProperties().forEach((k, v) -> o.put("properties." + k, v));
    o.put("scan.startup.mode", topic.scanMode().value());
    topic.startupTimestampMillis().ifPresent(ts -> o.put("scan.startup.timestamp-millis", Long.toString(ts)));
    if (kafka.bounded()) {
      o.put("scan.bounded.mode", "latest-offset");
    }
    // Per partition: Flink's Kafka source keeps a watermark per partition and leaves out the idle ones.
    topic.watermark().flatMap(WatermarkDef::idleTimeout)
        .ifPresent(d -> o.put(IDLE_TIMEOUT_OPTION, TimeUtils.formatWithHighestUnit(d)));
    if (keepsMalformed(topic)) {
      o.put("format", DeadLetterFormatFactory.IDENTIFIER);
      String prefix = DeadLetterFormatFactory.IDENTIFIER + ".";
      o.put(prefix + "on-error", topic.onError().value());
      if (io.github.streamingjob.metrics.JobMetrics.enabled()) {
        o.put(prefix + DeadLetterFormatFactory.PIPELINES.key(), listOption(pipelines));
      }
      formatOptions(topic).forEach((k, v) -> o.put(prefix + k, v));
    } else {
      o.putAll(formatOptions(topic));
    }
    return o;
  }

  /** A list option's value as Flink parses one: {@code ;} between elements, quoted where a name needs it. */
  static String listOption(List<String> values) {
    return values.stream().map(v -> v.matches("[^;'\"]+") ? v : "'" + v.replace("'", "''") + "'")
        .collect(Collectors.joining(";"));
  }

  /** {@code format} and its prefixed options, as the topic's records are decoded. */
  public static Map<String, String> formatOptions(TopicDef topic) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("format", topic.format());
    if ("json".equals(topic.format())) {
      // A record missing a field of source_schema is malformed (dead-lettered, not silently NULL);
      // format_options: {fail-on-missing-field: false} accepts partial records.
      o.put("json.fail-on-missing-field", "true");
    }
    topic.formatOptions().forEach((k, v) -> o.put(topic.format() + "." + k, v));
    return o;
  }

  /** The statements that create the topic's source; secrets hidden if asked (for printing). */
  public static List<String> ddl(TopicDef topic, KafkaSettings kafka, boolean hideSecrets) {
    return ddl(topic, kafka, hideSecrets, List.of(topic.name()));
  }

  /** As above, for the table {@code pipelines} read. */
  public static List<String> ddl(TopicDef topic, KafkaSettings kafka, boolean hideSecrets, List<String> pipelines) {
    Map<String, String> options = options(topic, kafka, pipelines);
    if (!keepsMalformed(topic)) {
      return List.of(table(tableName(topic), topic, List.of(), options, hideSecrets));
    }
    List<String> extra = List.of(
        Sql.ident(DeadLetterFormatFactory.ERROR_COLUMN) + " STRING",
        Sql.ident(DeadLetterFormatFactory.PAYLOAD_COLUMN) + " BYTES",
        Sql.ident(KAFKA_PARTITION) + " INT METADATA FROM 'partition' VIRTUAL",
        Sql.ident(KAFKA_OFFSET) + " BIGINT METADATA FROM 'offset' VIRTUAL",
        Sql.ident(KAFKA_TIMESTAMP) + " TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL");
    return List.of(table(rawTableName(topic), topic, extra, options, hideSecrets), view(topic, rawTableName(topic)));
  }

  /** The well-formed records of a raw table, as the topic's transformer sees them: only its columns. */
  static String view(TopicDef topic, String rawTable) {
    return "CREATE TEMPORARY VIEW " + Sql.ident(tableName(topic)) + " AS\nSELECT "
        + Sql.identList(topic.sourceSchema().stream().map(ColumnDef::name).collect(Collectors.toList()))
        + "\nFROM " + Sql.ident(rawTable) + "\nWHERE " + Sql.ident(DeadLetterFormatFactory.ERROR_COLUMN) + " IS NULL";
  }

  /** A source table of the topic's columns over any connector (the test harness reads files). */
  public static String table(String name, TopicDef topic, List<String> extraColumns, Map<String, String> options,
      boolean hideSecrets) {
    List<String> lines = new ArrayList<>();
    for (ColumnDef c : topic.sourceSchema()) {
      if (!c.isComputed()) {
        lines.add("  " + Sql.ident(c.name()) + " " + c.type().get().asSerializableString());
      }
    }
    // The dead-letter format fills the last physical columns; computed columns come after them.
    extraColumns.forEach(c -> lines.add("  " + c));
    for (ColumnDef c : topic.sourceSchema()) {
      if (c.isComputed()) {
        lines.add("  " + Sql.ident(c.name()) + " AS " + c.expression().get());
      }
    }
    topic.watermark().ifPresent(w -> lines.add("  " + watermark(w)));
    sourceKey(topic).ifPresent(key -> lines.add("  PRIMARY KEY (" + Sql.identList(key) + ") NOT ENFORCED"));
    return "CREATE TEMPORARY TABLE " + Sql.ident(name) + " (\n"
        + String.join(",\n", lines) + "\n) WITH (\n"
        + Sql.options(options, hideSecrets) + "\n)";
  }

  /**
   * The key of a change-data topic's rows, when the sink's primary key names physical source columns: the
   * planner then knows the changes arrive per key, and writes them to the table as they are, instead of
   * keeping every row of the table in state to reorder them (Flink's upsert materializer).
   */
  static java.util.Optional<List<String>> sourceKey(TopicDef topic) {
    List<String> key = topic.sink().primaryKey();
    List<String> physical = topic.sourceSchema().stream().filter(c -> !c.isComputed()).map(ColumnDef::name)
        .collect(Collectors.toList());
    return topic.changeData() && !key.isEmpty() && physical.containsAll(key)
        ? java.util.Optional.of(key) : java.util.Optional.empty();
  }

  /** Copies a malformed record's Kafka coordinates, payload and error into the dead-letter table. */
  public static String deadLetterSelect(TopicDef topic, String rawTable) {
    // The topic is a literal (one topic per entry): reading it as metadata would cost an object per record.
    return "SELECT " + Sql.literal(topic.name()) + ", " + Sql.literal(topic.topic()) + ", " + Sql.ident(KAFKA_PARTITION)
        + ", " + Sql.ident(KAFKA_OFFSET) + ", " + Sql.ident(KAFKA_TIMESTAMP) + ", "
        + Sql.ident(DeadLetterFormatFactory.PAYLOAD_COLUMN) + ", " + Sql.ident(DeadLetterFormatFactory.ERROR_COLUMN)
        + ", CURRENT_TIMESTAMP\nFROM " + Sql.ident(rawTable) + "\nWHERE "
        + Sql.ident(DeadLetterFormatFactory.ERROR_COLUMN) + " IS NOT NULL";
  }

  static String watermark(WatermarkDef w) {
    return "WATERMARK FOR " + Sql.ident(w.column()) + " AS " + Sql.ident(w.column()) + " - " + interval(w.delay());
  }

  /** A DAY TO SECOND interval literal with millisecond precision, valid for any delay under 100 days. */
  static String interval(Duration d) {
    long ms = d.toMillis();
    return String.format("INTERVAL '%d %02d:%02d:%02d.%03d' DAY TO SECOND(3)",
        ms / 86_400_000, (ms / 3_600_000) % 24, (ms / 60_000) % 60, (ms / 1000) % 60, ms % 1000);
  }
}
