package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.PropertiesFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once through failures: a TaskManager killed mid-stream, a stop-with-savepoint and restart,
 * and an upsert table across a failure. Every event carries a unique id; the tables must end up
 * with each exactly once (or, for the upsert table, one row per key with its latest value).
 */
class ExactlyOnceITCase {
  static final long T0 = 1_704_067_200_000L;
  static final Duration TIMEOUT = Duration.ofSeconds(180);

  static KillableMiniCluster flink;
  static MiniCluster cluster;
  static EmbeddedKafka kafka;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    flink = KillableMiniCluster.start();
    cluster = flink.cluster();
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
    if (flink != null) {
      flink.close();
    }
  }

  private JobClient startJob(String name, String configDir, String topics, String savepoint) throws Exception {
    Path warehouse = dir.resolve(name);
    Path props = PropertiesFile.local(kafka.bootstrapServers(), warehouse, "eo")
        .set("Job", "parallelism", "2").set("Job", "checkpoint.interval", "500 ms").set("Job", "topics", topics)
        .writeTo(dir.resolve(name + ".json"));
    Configuration conf = new Configuration();
    if (savepoint != null) {
      conf.setString("execution.savepoint.path", savepoint);
    }
    CliArgs cli = CliArgs.parse("--config-dir", configDir, "--properties", props.toString());
    return StreamingJob.run(cli, new TestStreamEnvironment(cluster, conf, 2, List.of(), List.of()),
        JobSources.fromArgs(cli));
  }

  /**
   * topics.yaml with one entry, {@code order-status}: order events from {@code topic} upserted by order id into
   * the table {@code order_status}; {@code sinkExtra} is YAML added under its {@code sink:}.
   */
  static String orderStatusTopics(String topic, String group, String sinkExtra) {
    return "topics:\n"
        + "  order-status:\n"
        + "    topic: \"" + topic + "\"\n"
        + "    kafka_group_id: \"" + group + "\"\n"
        + "    source_schema:\n"
        + "      - {name: \"order_id\", type: \"STRING\"}\n"
        + "      - {name: \"user_id\", type: \"BIGINT\"}\n"
        + "      - {name: \"amount\", type: \"DOUBLE\"}\n"
        + "      - {name: \"status\", type: \"STRING\"}\n"
        + "      - {name: \"timestamp_ms\", type: \"BIGINT\"}\n"
        + "    sink:\n"
        + "      table_name: \"order_status\"\n"
        + "      primary_key: [\"order_id\"]\n"
        + "      schema:\n"
        + "        - {name: \"order_id\", type: \"STRING\"}\n"
        + "        - {name: \"user_id\", type: \"BIGINT\"}\n"
        + "        - {name: \"amount\", type: \"DOUBLE\"}\n"
        + "        - {name: \"status\", type: \"STRING\"}\n"
        + "        - {name: \"order_time\", type: \"TIMESTAMP(3)\"}\n"
        + "        - {name: \"ingestion_time\", type: \"TIMESTAMP(3)\"}\n"
        + sinkExtra
        + "    transformation: \"order_events_enriched\"\n";
  }

  private static HadoopCatalog catalog(String name) {
    return new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), dir.resolve(name).toUri().toString());
  }

  /** JSON bid-events with unique ids {@code prefix + i}, i in [from, to). */
  static List<String> bids(String prefix, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(String.format("{\"user_id\":%d,\"bid_id\":\"%s%d\",\"amount\":%d.25,\"timestamp_ms\":%d}", i % 50,
          prefix, i, i % 1000, T0 + i));
    }
    return out;
  }

  private static void sendSpread(String topic, List<String> records, int partitions) {
    for (int p = 0; p < partitions; p++) {
      int part = p;
      List<String> mine = new ArrayList<>();
      for (int i = part; i < records.size(); i += partitions) {
        mine.add(records.get(i));
      }
      kafka.send(topic, part, mine);
    }
  }



  private static void awaitSnapshot(HadoopCatalog catalog, TableIdentifier id) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (catalog.tableExists(id)) {
        Table t = catalog.loadTable(id);
        t.refresh();
        if (t.currentSnapshot() != null) {
          return;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no commit to " + id + " within " + TIMEOUT);
  }

  private static void assertEachIdOnce(List<Record> rows, int expected, List<String> prefixes) {
    List<Object> ids = rows.stream().map(r -> r.getField("bid_id")).collect(Collectors.toList());
    assertThat(ids).doesNotHaveDuplicates().hasSize(expected)
        .allSatisfy(id -> assertThat(prefixes).anyMatch(p -> ((String) id).startsWith(p)));
  }

  @Test
  void killingATaskManagerLosesAndDuplicatesNothing() throws Exception {
    int n = 20_000;
    kafka.createTopic("bid-events", 3);
    List<String> events = bids("k", 0, n);
    sendSpread("bid-events", events.subList(0, n / 2), 3);
    JobClient job = startJob("kill", "config", "bid-events", null);
    JobClient client = job;
    try {
      HadoopCatalog catalog = catalog("kill");
      TableIdentifier id = TableIdentifier.of("eo", "bid_events_raw");
      awaitSnapshot(catalog, id);
      // Data committed, more in flight: now a TaskManager dies and a fresh one joins.
      sendSpread("bid-events", events.subList(n / 2, n), 3);
      flink.killAllTaskManagers();
      IcebergTables.awaitRows(catalog, id, r -> r.size() >= n, TIMEOUT);
      // A later commit: a duplicate committed late (a replayed checkpoint) would show up by then.
      sendSpread("bid-events", bids("later", 0, 300), 3);
      List<Record> rows = IcebergTables.awaitRows(catalog, id, r -> r.stream()
          .filter(x -> ((String) x.getField("bid_id")).startsWith("later")).count() >= 300, TIMEOUT);
      assertEachIdOnce(rows, n + 300, List.of("k", "later"));
      assertThat(client.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
      assertThat(flink.maxAttempt(client)).as("the job restarted from its checkpoint").isGreaterThanOrEqualTo(1);
    } finally {
      client.cancel().get();
    }
  }

  @Test
  void stopWithSavepointAndRestartIsExactlyOnce() throws Exception {
    kafka.createTopic("sp-bids", 2);
    Path config = Files.createDirectories(dir.resolve("sp-config"));
    Files.writeString(config.resolve("topics.yaml"), Files.readString(Path.of("config/topics.yaml"))
        .replace("  bid-events:\n    enabled: true\n", "  bid-events:\n    enabled: true\n    topic: \"sp-bids\"\n"));
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"));
    int n1 = 5_000;
    int n2 = 5_000;
    sendSpread("sp-bids", bids("s", 0, n1), 2);
    JobClient first = startJob("savepoint", config.toString(), "bid-events", null);
    HadoopCatalog catalog = catalog("savepoint");
    TableIdentifier id = TableIdentifier.of("eo", "bid_events_raw");
    IcebergTables.awaitRows(catalog, id, r -> r.size() >= n1 / 2, TIMEOUT);
    String savepoint = first
        .stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL).get();

    sendSpread("sp-bids", bids("s", n1, n1 + n2), 2);
    JobClient second = startJob("savepoint", config.toString(), "bid-events", savepoint);
    try {
      IcebergTables.awaitRows(catalog, id, r -> r.size() >= n1 + n2, TIMEOUT);
      sendSpread("sp-bids", bids("later", 0, 200), 2);
      List<Record> rows = IcebergTables.awaitRows(catalog, id, r -> r.stream()
          .filter(x -> ((String) x.getField("bid_id")).startsWith("later")).count() >= 200, TIMEOUT);
      assertEachIdOnce(rows, n1 + n2 + 200, List.of("s", "later"));
    } finally {
      second.cancel().get();
    }
  }

  @Test
  void upsertTableKeepsOneRowPerKeyWithTheLatestValueAcrossAFailure() throws Exception {
    kafka.createTopic("order-updates", 2);
    Path config = Files.createDirectories(dir.resolve("upsert-config"));
    Files.writeString(config.resolve("topics.yaml"), orderStatusTopics("order-updates", "upsert-test", ""));
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"));
    int keys = 200;
    int updates = 20;
    // Updates of one key go to one partition, in order: amount = version, so the latest is the largest.
    List<List<String>> versions = new ArrayList<>();
    for (int v = 1; v <= updates; v++) {
      List<String> batch = new ArrayList<>();
      for (int k = 0; k < keys; k++) {
        batch.add(String.format("{\"order_id\":\"o%d\",\"user_id\":%d,\"amount\":%d.0,\"status\":\"v%d\","
            + "\"timestamp_ms\":%d}", k, k, v, v, T0 + v));
      }
      versions.add(batch);
    }
    for (int v = 0; v < updates / 2; v++) {
      sendSpread("order-updates", versions.get(v), 2);
    }
    JobClient job = startJob("upsert", config.toString(), "order-status", null);
    JobClient client = job;
    try {
      HadoopCatalog catalog = catalog("upsert");
      TableIdentifier id = TableIdentifier.of("eo", "order_status");
      awaitSnapshot(catalog, id);
      flink.killAllTaskManagers();
      for (int v = updates / 2; v < updates; v++) {
        sendSpread("order-updates", versions.get(v), 2);
      }
      IcebergTables.awaitRows(catalog, id, r -> r.stream().filter(x -> ((Double) x.getField("amount")) == updates)
          .count() >= keys, TIMEOUT);
      assertThat(flink.maxAttempt(client)).as("the job failed and restarted").isGreaterThanOrEqualTo(1);
      // Restored from the checkpoint: a restart from scratch would also end with the latest values.
      assertThat(cluster.getExecutionGraph(client.getJobID()).get().getCheckpointStatsSnapshot()
          .getLatestRestoredCheckpoint()).as("restored from a checkpoint").isNotNull();
      // A later commit updates every even key once more; then the whole table is compared.
      List<String> last = new ArrayList<>();
      for (int k = 0; k < keys; k += 2) {
        last.add(String.format("{\"order_id\":\"o%d\",\"user_id\":%d,\"amount\":%d.0,\"status\":\"v%d\","
            + "\"timestamp_ms\":%d}", k, k, updates + 1, updates + 1, T0 + updates + 1));
      }
      kafka.send("order-updates", 0, last); // even keys: the partition their earlier versions went to
      List<Record> rows = IcebergTables.awaitRows(catalog, id, r -> r.stream()
          .filter(x -> ((Double) x.getField("amount")) == updates + 1).count() >= keys / 2, TIMEOUT);
      Map<String, String> expected = new java.util.TreeMap<>();
      for (int k = 0; k < keys; k++) {
        expected.put("o" + k, "v" + (k % 2 == 0 ? updates + 1 : updates));
      }
      assertThat(rows.stream().map(r -> (String) r.getField("order_id"))).as("one row per key").doesNotHaveDuplicates();
      Map<String, String> actual = rows.stream().collect(Collectors.toMap(r -> (String) r.getField("order_id"),
          r -> (String) r.getField("status"), (a, b) -> a + "," + b, java.util.TreeMap::new));
      assertThat(actual).isEqualTo(expected);
    } finally {
      client.cancel().get();
    }
  }
}
