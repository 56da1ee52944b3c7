package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.Await;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.standin.FlinkRestClient;
import io.github.streamingjob.testing.standin.FlinkSessionCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Moving a running job from Flink 1.20 to Flink 2.2: the 1.20 JAR on a Flink 1.20 session cluster, the 2.2
 * JAR (this build's) on a Flink 2.2 cluster, both the stand-ins of {@link ClusterDeploymentITCase} (separate
 * processes on a distribution's lib/, RocksDB, jobs run over REST). The shipped config, all its pipelines;
 * the bids feed two of them from one topic: the raw bids (Kafka source, Iceberg writer and committer) and
 * the per-minute window count. The 1.20 job stops while a window is open (bids of minute 3 read, its end
 * not yet passed by the watermark).
 *
 * <p>Not tested here, because Flink documents it: a savepoint taken with {@code --drain} records the
 * window operator as finished, and a job restored from it never emits a window again (one run of an
 * earlier version of this test: after the switch every bid reached the raw table and not one window row
 * came).
 *
 * <p>It needs the 1.20 JAR and the class path of a 1.20 cluster ({@code -Dupgrade.from.jar},
 * {@code -Dupgrade.from.classpath}), which only a 1.20 build makes: {@code .ci/run} passes them to the
 * flink-2.2 build after the 1.20 one. Without them it is skipped.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SavepointUpgradeITCase {
  static final String FROM_JAR = System.getProperty("upgrade.from.jar", "");
  static final String FROM_CLASSPATH = System.getProperty("upgrade.from.classpath", "");
  static final Duration TIMEOUT = Duration.ofSeconds(120);
  static final String TOPIC = "bid-events";
  static final int PARTITIONS = 3;
  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  static final long WATERMARK_DELAY = 5_000; // bid-events-aggregated in topics.yaml
  static final long MINUTE = 60_000;

  static Path home;
  static FlinkSessionCluster flink120;
  static FlinkSessionCluster flink22;
  static HadoopCatalog catalog;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(!FROM_JAR.isEmpty() && !FROM_CLASSPATH.isEmpty(),
        "needs -Dupgrade.from.jar and -Dupgrade.from.classpath from a Flink 1.20 build (.ci/run passes them)");
    home = Files.createDirectories(Path.of("target", "savepoint-upgrade-it", Long.toString(System.currentTimeMillis())))
        .toAbsolutePath();
    flink120 = FlinkSessionCluster.start(home.resolve("flink-1.20"), Path.of(FROM_CLASSPATH), 2, TIMEOUT);
    flink22 = FlinkSessionCluster.start(home.resolve("flink-2.2"), ClusterDeploymentITCase.FLINK_DIST, 2, TIMEOUT);
    catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), home.resolve("warehouse").toUri().toString());
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {flink120, flink22, catalog}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /**
   * The 2.2 JAR restores the 1.20 savepoint, taken while a window is open. Every pipeline operator's state maps
   * across (the job gives them uids derived from the job graph's shape, which both lines' planners build alike);
   * only the tables' maintenance state stays behind, which Flink 2 cannot read (Iceberg keeps it with Kryo), so
   * the restore says {@code allowNonRestoredState} and maintenance starts afresh. The proof that the pipelines'
   * state came along, not just the offsets: the window open at the stop is emitted once by the 2.2 job, counting
   * the bids read on both sides; every bid is in the raw table once.
   */
  @Test
  @Order(1)
  void theSavepointRestoresWithItsWindowState() throws Exception {
    try (Traffic traffic = new Traffic("restore")) {
      String job = run(flink120, Path.of(FROM_JAR), traffic.properties("1.20"), null, false);
      traffic.runUntilAWindowIsOpen(flink120.rest(), job);
      String savepoint = flink120.rest().stopWithSavepoint(job, home.resolve("savepoints"), false, TIMEOUT);

      job = run(flink22, ClusterDeploymentITCase.JAR, traffic.properties("2.2"), savepoint, true);
      try {
        String savepointName = Path.of(java.net.URI.create(savepoint).getPath()).getFileName().toString();
        assertThat(flink22.rest().checkpoints(job).path("latest").path("restored").path("external_path").asText())
            .as("restored from the savepoint").endsWith(savepointName);
        traffic.afterTheSwitch();
        traffic.awaitTables(flink22.rest(), job, traffic.expectedWindows(b -> true));
      } finally {
        flink22.rest().cancel(job);
      }
    }
  }

  /** Uploads and runs a JAR; returns the job id once it is running (from the savepoint, if one is given). */
  static String run(FlinkSessionCluster cluster, Path jar, String properties, String savepoint, boolean allowNonRestored)
      throws InterruptedException {
    FlinkRestClient rest = cluster.rest();
    String job = rest.runJar(rest.uploadJar(jar), List.of("--properties", properties), savepoint, allowNonRestored);
    await("the job running", rest, job, () -> rest.allTasksRunning(job));
    return job;
  }

  static int minute(Bid bid) {
    return (int) ((bid.time - T0) / MINUTE);
  }

  /** One line per user and window that the watermark has closed: {@code user window_start count}. */
  static List<String> windows(List<Bid> bids, Predicate<Bid> counted, long watermark) {
    Map<String, Long> counts = new TreeMap<>();
    for (Bid b : bids) {
      long start = b.time / MINUTE * MINUTE;
      if (counted.test(b) && start + MINUTE <= watermark) {
        counts.merge(b.user + " " + LocalDateTime.ofEpochSecond(start / 1000, 0, ZoneOffset.UTC), 1L, Long::sum);
      }
    }
    return counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).sorted().collect(Collectors.toList());
  }

  static void await(String what, FlinkRestClient rest, String job, BooleanSupplier done) throws InterruptedException {
    if (Await.toleratingErrors(TIMEOUT, Duration.ofMillis(500), done)) {
      return;
    }
    throw new AssertionError("timed out after " + TIMEOUT + " waiting for " + what + "; job " + rest.jobState(job)
        + ", last exception: " + rest.exceptions(job).path("root-exception").asText().lines().findFirst().orElse(""));
  }

  static final class Bid {
    final String id;
    final int user;
    final long time;

    Bid(String id, int user, long time) {
      this.id = id;
      this.user = user;
      this.time = time;
    }
  }

  /** A Kafka broker of its own, the bids sent to it, and the tables (in a namespace of their own) they feed. */
  static final class Traffic implements AutoCloseable {
    final String namespace;
    final EmbeddedKafka kafka = EmbeddedKafka.start();
    final List<Bid> sent = new ArrayList<>();

    Traffic(String namespace) {
      this.namespace = namespace;
      kafka.createTopic(TOPIC, PARTITIONS);
      for (String other : List.of("user-activity", "order-events", "shop.public.customers")) {
        kafka.createTopic(other, 1); // the shipped config's other pipelines run too, on empty topics
      }
    }

    /** The shipped config, checkpoints every 2 s, into the local warehouse. */
    String properties(String line) {
      return PropertiesFile.local(kafka.bootstrapServers(), home.resolve("warehouse"), namespace)
          .set("Job", "parallelism", "2")
          .set("Job", "checkpoint.interval", "2 s")
          .writeTo(home.resolve(namespace + "-" + line + ".json")).toString();
    }

    /**
     * Minutes 0 to 2 closed by the watermark, then bids of minute 3 after it: in the raw table, not yet in
     * a window row. Returns once the tables show exactly that; the bids sent so far.
     */
    List<Bid> runUntilAWindowIsOpen(FlinkRestClient rest, String job) throws InterruptedException {
      send("closed", 600, 0, 3 * MINUTE);
      clocks(3 * MINUTE + 30_000);
      send("open", 90, 3 * MINUTE + 35_000, 20_000);
      awaitTables(rest, job, expectedWindows(b -> true));
      return List.copyOf(sent);
    }

    /** More bids of minute 3, then minute 4, then the clocks that close both. */
    void afterTheSwitch() {
      send("late-open", 60, 3 * MINUTE + 56_000, 3_000);
      send("next", 100, 4 * MINUTE, MINUTE);
      clocks(5 * MINUTE + 30_000);
    }

    /** Waits until every bid is in the raw table once and the window table is {@code windows}. */
    void awaitTables(FlinkRestClient rest, String job, List<String> windows) throws InterruptedException {
      List<String> raw = sent.stream().map(b -> b.id + " " + b.user).sorted().collect(Collectors.toList());
      await("every bid once in " + namespace + ".bid_events_raw and the windows " + windows, rest, job,
          () -> raw().equals(raw) && aggregated().equals(windows));
    }

    /** The window rows the bids sent so far make, counting those {@code counted} accepts. */
    List<String> expectedWindows(Predicate<Bid> counted) {
      long watermark = sent.stream().filter(b -> b.user == 99).mapToLong(b -> b.time).max().orElse(0) - WATERMARK_DELAY;
      return windows(sent, counted, watermark);
    }

    /** {@code n} bids with ids {@code prefix-i}, event times spread over [from, from + span) after T0. */
    void send(String prefix, int n, long from, long span) {
      List<List<String>> perPartition = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        perPartition.add(new ArrayList<>());
      }
      for (int i = 0; i < n; i++) {
        Bid bid = new Bid(prefix + "-" + i, i % 7, T0 + from + i * span / n);
        sent.add(bid);
        perPartition.get(i % PARTITIONS).add(json(bid));
      }
      for (int p = 0; p < PARTITIONS; p++) {
        kafka.send(TOPIC, p, perPartition.get(p));
      }
    }

    /** One bid of user 99 on every partition at {@code at}: the watermark moves to {@code at - 5 s}. */
    void clocks(long at) {
      for (int p = 0; p < PARTITIONS; p++) {
        Bid bid = new Bid("clock-" + at + "-" + p, 99, T0 + at);
        sent.add(bid);
        kafka.send(TOPIC, p, List.of(json(bid)));
      }
    }

    static String json(Bid bid) {
      return String.format("{\"user_id\":%d,\"bid_id\":\"%s\",\"amount\":1.5,\"timestamp_ms\":%d}", bid.user, bid.id,
          bid.time);
    }

    List<String> raw() {
      return rows("bid_events_raw", r -> r.getField("bid_id") + " " + r.getField("user_id"));
    }

    List<String> aggregated() {
      return rows("bid_events_aggregated", r -> r.getField("user_id") + " " + r.getField("window_start") + " "
          + r.getField("bid_count"));
    }

    List<String> rows(String table, Function<Record, String> line) {
      TableIdentifier id = TableIdentifier.of(namespace, table);
      if (!catalog.tableExists(id)) {
        return List.of();
      }
      return IcebergTables.rows(catalog, id).stream().map(line).sorted().collect(Collectors.toList());
    }

    @Override
    public void close() {
      kafka.close();
    }
  }
}
