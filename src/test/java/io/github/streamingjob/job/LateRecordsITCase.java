package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.Await;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.TopicsYaml;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bids sent after their window closed, to the shipped windowed pipeline: every one of them is in {@code late_records}
 * with its partition, offset, event time, the watermark it missed and the record, none is lost, and the window rows
 * are those of the on-time bids alone. Then again right after a restore from a savepoint, before any new watermark:
 * the window restored its watermark, and so did the gate, or the window would drop them unseen.
 */
class LateRecordsITCase {
  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  static final long MINUTE = 60_000;
  static final long DELAY = 5_000;
  static final int PARTITIONS = 2;
  static final String TOPIC = "bids-late";
  static final String NAMESPACE = "late";
  static final Duration TIMEOUT = Duration.ofMinutes(3);

  static KillableMiniCluster flink;
  static EmbeddedKafka kafka;
  static HadoopCatalog catalog;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
    flink = KillableMiniCluster.start();
    catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), dir.resolve("warehouse").toUri().toString());
    kafka.createTopic(TOPIC, PARTITIONS);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {catalog, flink, kafka}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** A bid sent: its id, user, event time, partition and offset, and whether it was late. */
  static final class Bid {
    final String id;
    final long user;
    final long time;
    final int partition;
    final long offset;
    final boolean late;

    Bid(String id, long user, long time, int partition, long offset, boolean late) {
      this.id = id;
      this.user = user;
      this.time = time;
      this.partition = partition;
      this.offset = offset;
      this.late = late;
    }
  }

  final List<Bid> sent = new ArrayList<>();
  final long[] nextOffset = new long[PARTITIONS];

  void send(String prefix, int n, long from, long to, boolean late) {
    for (int i = 0; i < n; i++) {
      long time = T0 + from + i * (to - from) / n;
      int partition = i % PARTITIONS;
      String id = prefix + "-" + i;
      kafka.send(TOPIC, partition, List.of(String.format(
          "{\"user_id\":%d,\"bid_id\":\"%s\",\"amount\":2.5,\"timestamp_ms\":%d}", i % 3, id, time)));
      sent.add(new Bid(id, i % 3, time, partition, nextOffset[partition]++, late));
    }
  }

  /** A bid at {@code at} on every partition: the watermark moves to {@code at - 5 s}. */
  void clocks(String prefix, long at) {
    for (int p = 0; p < PARTITIONS; p++) {
      kafka.send(TOPIC, p, List.of(String.format(
          "{\"user_id\":9,\"bid_id\":\"%s-%d\",\"amount\":0.5,\"timestamp_ms\":%d}", prefix, p, T0 + at)));
      sent.add(new Bid(prefix + "-" + p, 9, T0 + at, p, nextOffset[p]++, false));
    }
  }

  /** {@code user minute count} of the on-time bids in windows ending at or before {@code watermark}. */
  List<String> windows(long watermark) {
    Map<String, Long> counts = new TreeMap<>();
    for (Bid b : sent) {
      long start = (b.time - T0) / MINUTE * MINUTE;
      if (!b.late && T0 + start + MINUTE - 1 <= watermark) {
        counts.merge(b.user + " " + start / MINUTE, 1L, Long::sum);
      }
    }
    return counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.toList());
  }

  static List<String> windowRows(List<Record> rows) {
    return rows.stream().map(r -> r.getField("user_id") + " "
            + (((LocalDateTime) r.getField("window_start")).toInstant(ZoneOffset.UTC).toEpochMilli() - T0) / MINUTE
            + " " + r.getField("bid_count"))
        .sorted().collect(Collectors.toList());
  }

  static long millis(Object timestamp) {
    return ((LocalDateTime) timestamp).toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  JobClient run(Path config, String savepoint) {
    Path props = PropertiesFile.local(kafka.bootstrapServers(), dir.resolve("warehouse"), NAMESPACE)
        .set("Job", "parallelism", "2").set("Job", "checkpoint.interval", "1 s").writeTo(dir.resolve("props.json"));
    Configuration conf = new Configuration();
    if (savepoint != null) {
      conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    }
    CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
    return StreamingJob.run(cli, new TestStreamEnvironment(flink.cluster(), conf, 2, List.of(), List.of()),
        JobSources.fromArgs(cli));
  }

  @Test
  void recordsAfterTheirWindowClosedAreKeptAlsoRightAfterARestore() throws Exception {
    TopicsYaml topics = TopicsYaml.shipped().set("bid-events", "topic", TOPIC)
        .set("bid-events-aggregated", "topic", TOPIC);
    for (String other : List.of("user-activity", "order-events", "customers")) {
      topics = topics.set(other, "enabled", false);
    }
    Path config = topics.writeTo(dir.resolve("config"));
    TableIdentifier windowTable = TableIdentifier.of(NAMESPACE, "bid_events_aggregated");
    TableIdentifier lateTable = TableIdentifier.of(NAMESPACE, "late_records");
    TableIdentifier rawTable = TableIdentifier.of(NAMESPACE, "bid_events_raw");

    JobClient job = run(config, null);
    await("every task running", () -> flink.allRunning(job));
    send("on-time", 30, 0, 2 * MINUTE + 20_000, false);
    clocks("clock-1", 2 * MINUTE + 30_000); // watermark 00:02:25: minutes 0 and 1 closed
    List<String> closed = windows(T0 + 2 * MINUTE + 25_000);
    IcebergTables.awaitRows(catalog, windowTable, rows -> windowRows(rows).equals(closed), TIMEOUT);
    // Late: their windows, minutes 0 and 1, have closed.
    send("late-1", 8, 10_000, MINUTE + 50_000, true);
    IcebergTables.awaitRows(catalog, lateTable, rows -> rows.size() == 8, TIMEOUT);

    // Stopped with minute 2 open; the first records after the restore are late ones, before any new watermark: in
    // closed windows, and behind the watermark in minute 2, whose window is open.
    String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
        SavepointFormatType.CANONICAL).get();
    send("late-2", 6, 30_000, 2 * MINUTE + 20_000, true);
    JobClient restored = run(config, savepoint);
    try {
      await("every task running after the restore", () -> flink.allRunning(restored));
      IcebergTables.awaitRows(catalog, lateTable, rows -> rows.size() == 14, TIMEOUT);
      send("on-time-2", 12, 2 * MINUTE + 40_000, 3 * MINUTE + 50_000, false);
      clocks("clock-2", 4 * MINUTE + 10_000); // watermark 00:04:05: minutes 2 and 3 closed
      List<String> all = windows(T0 + 4 * MINUTE + 5_000);
      List<Record> windowRows = IcebergTables.awaitRows(catalog, windowTable, rows -> windowRows(rows).size()
          >= all.size(), TIMEOUT);
      assertThat(windowRows(windowRows)).as("the on-time bids' windows, each once, the late bids in none")
          .isEqualTo(all);
      List<Record> raw = IcebergTables.awaitRows(catalog, rawTable, rows -> rows.size() == sent.size(), TIMEOUT);
      assertThat(raw).extracting(r -> r.getField("bid_id")).as("the raw pipeline has no event time: it keeps every "
          + "bid").containsExactlyInAnyOrderElementsOf(sent.stream().map(b -> b.id).collect(Collectors.toList()));
    } finally {
      restored.cancel().get();
    }

    List<Record> late = IcebergTables.rows(catalog, lateTable);
    List<Bid> expected = sent.stream().filter(b -> b.late).collect(Collectors.toList());
    assertThat(late).extracting(r -> r.getField("kafka_partition") + "/" + r.getField("kafka_offset"))
        .as("every late bid once, by its Kafka coordinates").containsExactlyInAnyOrderElementsOf(expected.stream()
            .map(b -> b.partition + "/" + b.offset).collect(Collectors.toList()));
    for (Record r : late) {
      Bid b = expected.stream().filter(x -> x.partition == (Integer) r.getField("kafka_partition")
          && x.offset == (Long) r.getField("kafka_offset")).findFirst().orElseThrow();
      assertThat(r.getField("pipeline")).isEqualTo("bid-events-aggregated");
      assertThat(r.getField("kafka_topic")).isEqualTo(TOPIC);
      assertThat(millis(r.getField("event_time"))).isEqualTo(b.time);
      long watermark = millis(r.getField("watermark"));
      assertThat(watermark).as("the watermark it missed").isGreaterThanOrEqualTo(b.time)
          .isBetween(T0 + 2 * MINUTE - 1, T0 + 2 * MINUTE + 25_000);
      if (b.id.startsWith("late-2")) {
        assertThat(watermark).as("after the restore: the saved one, the clocks' 00:02:25")
            .isEqualTo(T0 + 2 * MINUTE + 25_000);
      }
      assertThat((String) r.getField("record")).contains("\"bid_id\":\"" + b.id + "\"")
          .contains("\"timestamp_ms\":" + b.time);
    }
    assertThat(catalog.tableExists(TableIdentifier.of(NAMESPACE, "dead_letters"))
        ? IcebergTables.rows(catalog, TableIdentifier.of(NAMESPACE, "dead_letters")) : List.of())
        .as("nothing malformed").isEmpty();
  }

  static void await(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
    assertThat(Await.toleratingErrors(TIMEOUT, Duration.ofMillis(250), done)).as(what).isTrue();
  }
}
