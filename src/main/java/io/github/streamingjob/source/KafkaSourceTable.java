package io.github.streamingjob.source;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.config.WatermarkDef;
import io.github.streamingjob.util.Sql;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Generates the Kafka source table DDL of one topic. */
public final class KafkaSourceTable {
  private KafkaSourceTable() {}

  /** The temporary table a topic is read through; the name handed to its transformer. */
  public static String tableName(TopicDef topic) {
    return "source_" + topic.name().replaceAll("[^A-Za-z0-9_]", "_");
  }

  /** Connector options: topic, group, start position, format and the cluster's client properties. */
  public static Map<String, String> options(TopicDef topic, KafkaSettings kafka) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("connector", "kafka");
    o.put("topic", topic.topic());
    kafka.clientProperties().forEach((k, v) -> o.put("properties." + k, v));
    o.put("properties.group.id", topic.kafkaGroupId());
    topic.kafkaProperties().forEach((k, v) -> o.put("properties." + k, v));
    o.put("scan.startup.mode", topic.scanMode().value());
    topic.startupTimestampMillis().ifPresent(ts -> o.put("scan.startup.timestamp-millis", Long.toString(ts)));
    o.putAll(formatOptions(topic));
    return o;
  }

  /** {@code format} and its prefixed options; shared with anything that reads the topic's records. */
  public static Map<String, String> formatOptions(TopicDef topic) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("format", topic.format());
    if ("json".equals(topic.format())) {
      // Absent fields become NULL rather than failing the job; a message that is not JSON still fails.
      o.put("json.fail-on-missing-field", "false");
    }
    topic.formatOptions().forEach((k, v) -> o.put(topic.format() + "." + k, v));
    return o;
  }

  /** {@code CREATE TEMPORARY TABLE ...}; with {@code hideSecrets} for printing, without for executing. */
  public static String ddl(TopicDef topic, KafkaSettings kafka, boolean hideSecrets) {
    return ddl(topic, options(topic, kafka), hideSecrets);
  }

  /** The topic's source table (columns, computed columns, watermark) over any connector's options. */
  public static String ddl(TopicDef topic, Map<String, String> options, boolean hideSecrets) {
    List<String> lines = new ArrayList<>();
    for (ColumnDef c : topic.sourceSchema()) {
      lines.add("  " + Sql.ident(c.name()) + " "
          + (c.isComputed() ? "AS " + c.expression().get() : c.type().get().asSerializableString()));
    }
    topic.watermark().ifPresent(w -> lines.add("  " + watermark(w)));
    return "CREATE TEMPORARY TABLE " + Sql.ident(tableName(topic)) + " (\n"
        + String.join(",\n", lines) + "\n) WITH (\n"
        + Sql.options(options, hideSecrets) + "\n)";
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
