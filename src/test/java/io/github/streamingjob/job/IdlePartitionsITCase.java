package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.config.WatermarkDef;
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
 * The shipped windowed pipeline on a topic of four partitions, two of which go quiet after a burst: with the
 * default {@code watermark.idle_timeout} every window closes once the quiet partitions are idle (not before: they
 * hold it until then), again after a restore from a savepoint, after which the quiet partitions get no record at
 * all; with idleness off the same traffic leaves every window open, until the quiet partitions speak again.
 * Every window row is compared with what was sent: 0 lost, 0 duplicated, the window open at the stop counted in full.
 */
class IdlePartitionsITCase {
  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  static final long MINUTE = 60_000;
  static final long DELAY = 5_000; // watermark.delay of bid-events-aggregated in topics.yaml
  static final int PARTITIONS = 4;
  static final List<Integer> QUIET = List.of(2, 3);
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
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {catalog, flink, kafka}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** Bids sent, and the windows the watermark closed with them. */
  static final class Bids {
    final String topic;
    final List<long[]> sent = new ArrayList<>(); // user, event time
    int ids;

    Bids(String topic) {
      this.topic = topic;
      kafka.createTopic(topic, PARTITIONS);
    }

    /** {@code n} bids spread over [from, to) of event time, round robin over {@code partitions}. */
    void send(List<Integer> partitions, int n, long from, long to) {
      send(partitions, n, from, to, false);
    }

    void send(List<Integer> partitions, int n, long from, long to, boolean late) {
      for (int i = 0; i < n; i++) {
        long time = T0 + from + i * (to - from) / n;
        long user = i % 5;
        int partition = partitions.get(i % partitions.size());
        kafka.send(topic, partition, List.of(String.format(
            "{\"user_id\":%d,\"bid_id\":\"b%d\",\"amount\":1.5,\"timestamp_ms\":%d}", user, ids++, time)));
        sent.add(new long[] {user, time, late ? 1 : 0});
      }
    }

    /** {@code user window_start count} of every window ending at or before {@code watermark} (event time). */
    List<String> closedWindows(long watermark) {
      Map<String, Long> counts = new TreeMap<>();
      for (long[] b : sent) {
        if (b[2] == 1) {
          continue; // late: kept in late_records, in no window
        }
        long start = (b[1] - T0) / MINUTE * MINUTE;
        if (T0 + start + MINUTE - 1 <= watermark) {
          counts.merge(b[0] + " " + start / MINUTE, 1L, Long::sum);
        }
      }
      return counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.toList());
    }
  }

  static List<String> windows(List<Record> rows) {
    return rows.stream().map(r -> r.getField("user_id") + " "
            + (((LocalDateTime) r.getField("window_start")).toInstant(ZoneOffset.UTC).toEpochMilli() - T0) / MINUTE
            + " " + r.getField("bid_count"))
        .sorted().collect(Collectors.toList());
  }

  /** The shipped raw and windowed bid pipelines on {@code topic}, every other entry disabled. */
  static Path config(String name, String topic, Object idleTimeout) {
    TopicsYaml topics = TopicsYaml.shipped().set("bid-events", "topic", topic)
        .set("bid-events-aggregated", "topic", topic);
    if (idleTimeout != null) {
      topics = topics.set("bid-events-aggregated", "watermark.idle_timeout", idleTimeout);
    }
    for (String other : List.of("user-activity", "order-events", "customers")) {
      topics = topics.set(other, "enabled", false);
    }
    return topics.writeTo(dir.resolve(name + "-config"));
  }

  static JobClient run(String name, Path config, int parallelism, String savepoint) {
    Path props = PropertiesFile.local(kafka.bootstrapServers(), dir.resolve("warehouse"), name)
        .set("Job", "parallelism", Integer.toString(parallelism)).set("Job", "checkpoint.interval", "1 s")
        .writeTo(dir.resolve(name + "-" + parallelism + ".json"));
    Configuration conf = new Configuration();
    if (savepoint != null) {
      conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    }
    CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
    return StreamingJob.run(cli, new TestStreamEnvironment(flink.cluster(), conf, parallelism, List.of(), List.of()),
        JobSources.fromArgs(cli));
  }

  static List<Integer> active() {
    List<Integer> active = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      if (!QUIET.contains(p)) {
        active.add(p);
      }
    }
    return active;
  }

  static void awaitRunning(JobClient job) throws InterruptedException {
    assertThat(Await.toleratingErrors(TIMEOUT, Duration.ofMillis(250), () -> flink.allRunning(job)))
        .as("every task running").isTrue();
  }

  static List<String> awaitWindows(TableIdentifier table, List<String> expected) throws InterruptedException {
    return windows(IcebergTables.awaitRows(catalog, table, rows -> windows(rows).size() >= expected.size(), TIMEOUT));
  }

  @Test
  void withTheDefaultIdleTimeoutQuietPartitionsStopHoldingWindowsAlsoAfterARestore() throws Exception {
    assertThat(WatermarkDef.DEFAULT_IDLE_TIMEOUT).isEqualTo(Duration.ofSeconds(30));
    Bids bids = new Bids("bids-idle-default");
    Path config = config("idle", bids.topic, null);
    TableIdentifier table = TableIdentifier.of("idle", "bid_events_aggregated");
    // One reader per partition: the quiet partitions' readers go idle as a whole.
    JobClient job = run("idle", config, PARTITIONS, null);
    awaitRunning(job);
    // A burst on every partition in minute 0, then only the active ones, into minute 2: the watermark can pass
    // minutes 0 and 1 only once the quiet partitions (whose newest bid is in minute 0) are idle.
    bids.send(List.of(0, 1, 2, 3), 40, 0, 50_000);
    long quietSince = System.nanoTime();
    bids.send(active(), 60, 50_000, 2 * MINUTE + 30_000);
    List<String> expected = bids.closedWindows(T0 + 2 * MINUTE + 30_000 - DELAY);
    assertThat(expected).as("minutes 0 and 1 closed").extracting(w -> w.split(" ")[1]).containsOnly("0", "1");
    List<String> closed = awaitWindows(table, expected);
    double after = (System.nanoTime() - quietSince) / 1e9;
    System.out.printf("IdlePartitionsITCase: windows closed %.1f s after the quiet partitions' last record%n", after);
    assertThat(closed).as("the windows of minutes 0 and 1, counted in full").isEqualTo(expected);
    assertThat(after).as("not before the quiet partitions were idle").isGreaterThanOrEqualTo(
        WatermarkDef.DEFAULT_IDLE_TIMEOUT.toSeconds());
    // Old bids on a quiet partition: its reader was idle while the others moved the watermark on. Their window
    // (minute 1) has closed, though they are ahead of anything their own reader saw (minute 0): the gate, behind
    // the exchange from every reader, judges them by the watermark the window has. Late, and kept.
    bids.send(List.of(QUIET.get(0)), 3, MINUTE + 5_000, MINUTE + 50_000, true);
    List<Record> late = IcebergTables.awaitRows(catalog, TableIdentifier.of("idle", "late_records"),
        rows -> rows.size() >= 3, TIMEOUT);
    assertThat(late).extracting(r -> r.getField("kafka_partition")).containsExactly(QUIET.get(0), QUIET.get(0),
        QUIET.get(0));

    // Minute 2 is open at the stop. The job comes back at parallelism 2 (two partitions per reader, one of them
    // quiet) and the quiet partitions get nothing after the restore: their readers never see a record of theirs.
    String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
        SavepointFormatType.CANONICAL).get();
    bids.send(active(), 40, 2 * MINUTE + 30_000, 4 * MINUTE + 30_000);
    JobClient restored = run("idle", config, 2, savepoint);
    try {
      awaitRunning(restored);
      List<String> all = bids.closedWindows(T0 + 4 * MINUTE + 30_000 - DELAY);
      assertThat(all).extracting(w -> w.split(" ")[1]).containsOnly("0", "1", "2", "3");
      assertThat(awaitWindows(table, all)).as("minutes 2 (open at the stop) and 3 closed after the restore, "
          + "nothing lost or written twice").isEqualTo(all);
    } finally {
      restored.cancel().get();
    }
  }

  @Test
  void withIdlenessOffAQuietPartitionHoldsEveryWindowOpen() throws Exception {
    Bids bids = new Bids("bids-idle-off");
    Path config = config("nonidle", bids.topic, "off");
    TableIdentifier windows = TableIdentifier.of("nonidle", "bid_events_aggregated");
    TableIdentifier raw = TableIdentifier.of("nonidle", "bid_events_raw");
    JobClient job = run("nonidle", config, 2, null);
    try {
      awaitRunning(job);
      bids.send(List.of(0, 1, 2, 3), 40, 0, 50_000);
      long quietSince = System.nanoTime();
      bids.send(active(), 60, 50_000, 2 * MINUTE + 30_000);
      // Every bid read and committed; then longer than the default idle timeout, and checkpoints after it.
      IcebergTables.awaitRows(catalog, raw, rows -> rows.size() == bids.sent.size(), TIMEOUT);
      long idleTimeout = WatermarkDef.DEFAULT_IDLE_TIMEOUT.toNanos();
      while (System.nanoTime() - quietSince < idleTimeout + Duration.ofSeconds(10).toNanos()) {
        Thread.sleep(500);
      }
      int snapshots = snapshotCount(raw);
      bids.send(active(), 5, 2 * MINUTE + 31_000, 2 * MINUTE + 35_000);
      IcebergTables.awaitRows(catalog, raw, rows -> rows.size() == bids.sent.size(), TIMEOUT);
      assertThat(snapshotCount(raw)).as("checkpoints committed after the wait").isGreaterThan(snapshots);
      assertThat(catalog.tableExists(windows) ? windows(IcebergTables.rows(catalog, windows)) : List.of())
          .as("no window closed while two partitions were quiet").isEmpty();

      // The quiet partitions speak again: the watermark moves and the windows close, counted in full.
      bids.send(QUIET, 2, 2 * MINUTE + 36_000, 2 * MINUTE + 37_000);
      List<String> expected = bids.closedWindows(T0 + 2 * MINUTE + 36_000 - DELAY);
      assertThat(awaitWindows(windows, expected)).isEqualTo(expected);
    } finally {
      job.cancel().get();
    }
  }

  private static int snapshotCount(TableIdentifier id) {
    List<Long> ids = new ArrayList<>();
    catalog.loadTable(id).snapshots().forEach(s -> ids.add(s.snapshotId()));
    return ids.size();
  }
}
