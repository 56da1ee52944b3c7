package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.PropertiesFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped change-data pipeline (customers: Debezium JSON, a filter, a projection, an upsert-keyed
 * Iceberg table) under a random sequence of inserts, updates and deletes over a few hundred keys, with
 * one key updated many times within a checkpoint and across checkpoints, rows moving in and out of the
 * filter, tombstones, a failure of every TaskManager mid-stream and a stop-with-savepoint and restore.
 * The table, read with Iceberg's reader (deletes applied), must equal the source table's final state,
 * compared whole, and again after a later commit.
 */
class ChangeDataITCase {
  static final Duration TIMEOUT = Duration.ofSeconds(180);
  static final String TOPIC = "shop.public.customers";
  static final int KEYS = 300;
  static final long HOT = 7; // the key updated over and over

  @TempDir Path dir;

  /** The source table as the events leave it, and the events' generator. */
  static final class Database {
    final Random random = new Random(20261127);
    final Map<Long, String[]> rows = new TreeMap<>(); // id -> name, email, country
    int version;

    String json(long id, String[] r) {
      return String.format("{\"customer_id\":%d,\"name\":\"%s\",\"email\":\"%s\",\"country\":\"%s\"}", id, r[0], r[1], r[2]);
    }

    String[] newRow(long id) {
      version++;
      // One email in five is a test address the pipeline filters out: updates move rows in and out.
      String email = random.nextInt(5) == 0 ? "c" + id + "-" + version + "@example.test" : "C" + id + "-" + version + "@Shop.COM";
      return new String[] {"name-" + id + "-" + version, email, random.nextBoolean() ? "DE" : "FR"};
    }

    /** n random changes (and a burst on the hot key), keyed by id as Debezium does; waits for every ack. */
    void changes(EmbeddedKafka kafka, int n) {
      try (KafkaProducer<byte[], byte[]> producer = kafka.newProducer()) {
        for (int i = 0; i < n; i++) {
          long id = i % 10 == 0 ? HOT : 1 + random.nextInt(KEYS);
          String[] before = rows.get(id);
          if (before == null) {
            String[] after = newRow(id);
            rows.put(id, after);
            send(producer, id, "{\"before\":null,\"after\":" + json(id, after) + ",\"op\":\"c\"}");
          } else if (id != HOT && random.nextInt(4) == 0) {
            rows.remove(id);
            send(producer, id, "{\"before\":" + json(id, before) + ",\"after\":null,\"op\":\"d\"}");
            send(producer, id, null); // the tombstone
          } else {
            String[] after = newRow(id);
            rows.put(id, after);
            send(producer, id, "{\"before\":" + json(id, before) + ",\"after\":" + json(id, after) + ",\"op\":\"u\"}");
          }
        }
        producer.flush();
      }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, long id, String value) {
      producer.send(new ProducerRecord<>(TOPIC, ("{\"customer_id\":" + id + "}").getBytes(StandardCharsets.UTF_8),
          value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
    }

    /** What the customers table must hold: the pipeline's filter and projection of every live row. */
    Map<Long, String> expected() {
      Map<Long, String> out = new TreeMap<>();
      rows.forEach((id, r) -> {
        if (!r[1].endsWith("@example.test")) {
          out.put(id, r[0] + "|" + r[1].toLowerCase(java.util.Locale.ROOT) + "|" + r[2]);
        }
      });
      return out;
    }
  }

  static Map<Long, String> actual(HadoopCatalog catalog) {
    List<Record> rows = IcebergTables.rows(catalog, TableIdentifier.of("cdc", "customers"));
    assertThat(rows.stream().map(r -> r.getField("customer_id"))).as("one row per key").doesNotHaveDuplicates();
    return rows.stream().collect(Collectors.toMap(r -> (Long) r.getField("customer_id"),
        r -> r.getField("name") + "|" + r.getField("email") + "|" + r.getField("country"), (a, b) -> a, TreeMap::new));
  }

  static Map<Long, String> awaitState(HadoopCatalog catalog, Map<Long, String> expected) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    Map<Long, String> last = Map.of();
    while (System.nanoTime() < deadline) {
      if (catalog.tableExists(TableIdentifier.of("cdc", "customers"))) {
        last = actual(catalog);
        if (last.equals(expected)) {
          return last;
        }
      }
      Thread.sleep(250);
    }
    assertThat(last).as("the table never reached the source's state").isEqualTo(expected);
    return last;
  }

  @Test
  void theTableEndsAsTheSourceTableThroughAFailureAndASavepoint() throws Exception {
    KillableMiniCluster flink = KillableMiniCluster.start();
    MiniCluster cluster = flink.cluster();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic(TOPIC, 3);
      Database db = new Database();
      db.changes(kafka, 3_000);
      Path props = PropertiesFile.local(kafka.bootstrapServers(), dir.resolve("warehouse"), "cdc")
          .set("Job", "parallelism", "2").set("Job", "checkpoint.interval", "500 ms").set("Job", "topics", "customers")
          .writeTo(dir.resolve("props.json"));
      HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(),
          dir.resolve("warehouse").toUri().toString());

      JobClient job = start(cluster, props, null);
      awaitState(catalog, db.expected());

      // Changes in flight, then every TaskManager dies and new ones join: restored from the checkpoint.
      Thread producer = new Thread(() -> db.changes(kafka, 3_000));
      producer.start();
      Thread.sleep(300);
      flink.killAllTaskManagers();
      producer.join();
      awaitState(catalog, db.expected());
      assertThat(cluster.getExecutionGraph(job.getJobID()).get().getCheckpointStatsSnapshot().getLatestRestoredCheckpoint())
          .as("restored from a checkpoint").isNotNull();

      // Stop with a savepoint; changes meanwhile; the job resumes from the savepoint. A savepoint needs every task
      // running: the restart may still be deploying some (the tables' maintenance) after the rows are in.
      JobClient restarted = job;
      assertThat(io.github.streamingjob.testing.Await.toleratingErrors(Duration.ofSeconds(120), Duration.ofMillis(100),
          () -> flink.allRunning(restarted))).as("every task running again").isTrue();
      String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
          SavepointFormatType.CANONICAL).get();
      db.changes(kafka, 2_000);
      job = start(cluster, props, savepoint);
      try {
        awaitState(catalog, db.expected());
        // A later commit: nothing replayed, nothing lost.
        db.changes(kafka, 200);
        Map<Long, String> end = awaitState(catalog, db.expected());
        assertThat(end).hasSizeGreaterThan(50);
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        System.out.printf("customers: %d live rows after %d changes; %d key(s) deleted%n", end.size(), 8_200,
            KEYS - db.rows.size());
      } finally {
        job.cancel().get();
      }
    } finally {
      flink.close();
    }
  }

  private static JobClient start(MiniCluster cluster, Path props, String savepoint) throws Exception {
    Configuration conf = new Configuration();
    if (savepoint != null) {
      conf.setString("execution.savepoint.path", savepoint);
    }
    CliArgs cli = CliArgs.parse("--config-dir", "config", "--properties", props.toString());
    return StreamingJob.run(cli, new TestStreamEnvironment(cluster, conf, 2, List.of(), List.of()),
        JobSources.fromArgs(cli));
  }

}
