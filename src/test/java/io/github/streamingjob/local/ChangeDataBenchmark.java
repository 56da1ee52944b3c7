package io.github.streamingjob.local;

import io.github.streamingjob.job.CliArgs;
import io.github.streamingjob.job.JobSources;
import io.github.streamingjob.job.StreamingJob;
import io.github.streamingjob.testing.PropertiesFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * What change data costs: (1) throughput of the shipped customers pipeline over a pre-loaded topic of
 * Debezium changes (40 % inserts, 40 % updates, 20 % deletes over a set of keys), bounded; (2) the files
 * an upsert-keyed table gets per commit under a steady stream of changes with checkpoints, extrapolated to
 * an hour at MSF's default 60 s interval: what readers pay until compaction.
 *
 * <p>{@code mvn -q test-compile exec:exec -Dlocal.main=io.github.streamingjob.local.ChangeDataBenchmark
 * -Dlocal.args="--changes 1000000 --rate 5000 --seconds 60"}
 */
public final class ChangeDataBenchmark {
  private static final String TOPIC = "shop.public.customers";

  public static void main(String[] args) throws Exception {
    int changes = 500_000;
    int keys = 50_000;
    int rate = 5_000;
    int seconds = 60;
    int parallelism = 2;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--changes": changes = Integer.parseInt(args[i + 1]); break;
        case "--keys": keys = Integer.parseInt(args[i + 1]); break;
        case "--rate": rate = Integer.parseInt(args[i + 1]); break;
        case "--seconds": seconds = Integer.parseInt(args[i + 1]); break;
        case "--parallelism": parallelism = Integer.parseInt(args[i + 1]); break;
        default: throw new IllegalArgumentException("unknown argument " + args[i]
            + " (--changes N --keys K --rate R --seconds S --parallelism P)");
      }
    }
    Path work = Files.createTempDirectory("cdc-benchmark");
    Configuration conf = new Configuration();
    conf.setString("rest.bind-port", "0");
    MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
        .setNumTaskManagers(1).setNumSlotsPerTaskManager(parallelism).build());
    cluster.start();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      // (1) Throughput, bounded.
      kafka.createTopic(TOPIC, parallelism * 2);
      Changes source = new Changes(keys);
      long t = System.nanoTime();
      try (KafkaProducer<byte[], byte[]> producer = kafka.newProducer()) {
        for (int i = 0; i < changes; i++) {
          source.next(producer);
        }
      }
      System.out.printf(Locale.ROOT, "Pre-loaded %,d Debezium changes over %,d keys in %.1f s%n", changes, keys,
          (System.nanoTime() - t) / 1e9);
      Path bounded = work.resolve("bounded");
      JobClient job = start(cluster, kafka, bounded, parallelism, true, null);
      long runtimeMs = job.getJobExecutionResult().get().getNetRuntime();
      HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), bounded.toUri().toString());
      long live = TableStatus.liveRows(catalog.loadTable(TableIdentifier.of("bench", "customers")));
      double throughput = changes * 1000.0 / runtimeMs;
      System.out.printf(Locale.ROOT, "(1) %,d changes in %.1f s of job runtime: %,.0f changes/s; %,d live rows "
          + "(the source has %,d, %,d of them test accounts the pipeline leaves out)%n", changes, runtimeMs / 1e3,
          throughput, live, source.live(), source.testAccounts());

      // (2) Files per commit, streaming: a steady rate for a while, checkpoints every 10 s.
      Path streaming = work.resolve("streaming");
      kafka.createTopic(TOPIC + ".steady", parallelism * 2);
      JobClient running = start(cluster, kafka, streaming, parallelism, false, "10 s");
      long end = System.nanoTime() + seconds * 1_000_000_000L;
      long sent = 0;
      long start = System.nanoTime();
      try (KafkaProducer<byte[], byte[]> producer = kafka.newProducer()) {
        while (System.nanoTime() < end) {
          source.next(producer, TOPIC + ".steady");
          sent++;
          long due = start + sent * 1_000_000_000L / rate;
          long sleep = (due - System.nanoTime()) / 1_000_000;
          if (sleep > 0) {
            Thread.sleep(sleep);
          }
        }
      }
      Thread.sleep(12_000); // the last checkpoint commits
      running.cancel().get();
      catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), streaming.toUri().toString());
      Table table = catalog.loadTable(TableIdentifier.of("bench", "customers"));
      long commits = 0;
      long dataFiles = 0;
      long equalityDeletes = 0;
      long positionDeletes = 0;
      for (Snapshot s : table.snapshots()) {
        Map<String, String> summary = s.summary();
        commits++;
        dataFiles += Long.parseLong(summary.getOrDefault("added-data-files", "0"));
        equalityDeletes += Long.parseLong(summary.getOrDefault("added-equality-delete-files", "0"));
        positionDeletes += Long.parseLong(summary.getOrDefault("added-position-delete-files", "0"));
      }
      double perCommitEq = equalityDeletes / (double) commits;
      System.out.printf(Locale.ROOT, "(2) %,d changes at %,d/s over %d s: %d commits; per commit %.1f data files, "
          + "%.1f equality delete files, %.1f position delete files%n", sent, rate, seconds, commits,
          dataFiles / (double) commits, perCommitEq, positionDeletes / (double) commits);
      System.out.printf(Locale.ROOT, "    per hour: at a 60 s interval (MSF's default) %.0f data files and %.0f "
          + "equality delete files; at 10 s, %.0f and %.0f%n", dataFiles / (double) commits * 60, perCommitEq * 60,
          dataFiles / (double) commits * 360, perCommitEq * 360);
      System.out.printf(Locale.ROOT, "RESULT cdc_changes_per_s=%.0f data_files_per_commit=%.1f "
          + "eq_delete_files_per_commit=%.1f pos_delete_files_per_commit=%.1f eq_delete_files_per_hour_60s=%.0f%n",
          throughput, dataFiles / (double) commits, perCommitEq, positionDeletes / (double) commits, perCommitEq * 60);
    } finally {
      cluster.close();
      EmbeddedKafka.deleteQuietly(work);
    }
  }

  private static JobClient start(MiniCluster cluster, EmbeddedKafka kafka, Path warehouse, int parallelism,
      boolean bounded, String interval) throws Exception {
    Path config = Files.createDirectories(warehouse.resolveSibling(warehouse.getFileName() + "-config"));
    String topic = bounded ? TOPIC : TOPIC + ".steady";
    Files.writeString(config.resolve("topics.yaml"), Files.readString(Path.of("config/topics.yaml"))
        .replace("topic: \"shop.public.customers\"", "topic: \"" + topic + "\""));
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"));
    PropertiesFile props = PropertiesFile.local(kafka.bootstrapServers(), warehouse, "bench")
        .set("Job", "parallelism", Integer.toString(parallelism)).set("Job", "topics", "customers")
        .set("KafkaSource", "bounded", Boolean.toString(bounded));
    if (interval != null) {
      props.set("Job", "checkpoint.interval", interval);
    }
    Path file = props.writeTo(warehouse.resolveSibling(warehouse.getFileName() + ".json"));
    CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", file.toString());
    return StreamingJob.run(cli, new TestStreamEnvironment(cluster, new Configuration(), parallelism, List.of(),
        List.of()), JobSources.fromArgs(cli));
  }

  /** A customers table and the Debezium events that change it: 40 % inserts, 40 % updates, 20 % deletes. */
  static final class Changes {
    private final Random random = new Random(7);
    private final int keys;
    private final Map<Long, String> rows = new java.util.HashMap<>();
    private final List<Long> ids = new ArrayList<>();
    private long version;

    Changes(int keys) {
      this.keys = keys;
    }

    void next(KafkaProducer<byte[], byte[]> producer) {
      next(producer, TOPIC);
    }

    void next(KafkaProducer<byte[], byte[]> producer, String topic) {
      int dice = random.nextInt(10);
      if (ids.isEmpty() || (dice < 4 && ids.size() < keys)) {
        long id = 1 + random.nextInt(keys * 2);
        while (rows.containsKey(id)) {
          id = 1 + random.nextInt(keys * 2);
        }
        String after = row(id);
        rows.put(id, after);
        ids.add(id);
        send(producer, topic, id, "{\"before\":null,\"after\":" + after + ",\"op\":\"c\"}");
        return;
      }
      int at = random.nextInt(ids.size());
      long id = ids.get(at);
      String before = rows.get(id);
      if (dice < 8) {
        String after = row(id);
        rows.put(id, after);
        send(producer, topic, id, "{\"before\":" + before + ",\"after\":" + after + ",\"op\":\"u\"}");
      } else {
        rows.remove(id);
        ids.set(at, ids.get(ids.size() - 1));
        ids.remove(ids.size() - 1);
        send(producer, topic, id, "{\"before\":" + before + ",\"after\":null,\"op\":\"d\"}");
      }
    }

    private String row(long id) {
      version++;
      String email = (version % 10 == 0 ? "c" + id + "@example.test" : "C" + id + "-" + version + "@Shop.COM");
      return "{\"customer_id\":" + id + ",\"name\":\"customer " + id + "\",\"email\":\"" + email
          + "\",\"country\":\"" + (version % 2 == 0 ? "DE" : "FR") + "\"}";
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, long id, String value) {
      producer.send(new ProducerRecord<>(topic, ("{\"customer_id\":" + id + "}").getBytes(StandardCharsets.UTF_8),
          value.getBytes(StandardCharsets.UTF_8)));
    }

    long live() {
      return rows.size();
    }

    long testAccounts() {
      return rows.values().stream().filter(r -> r.contains("@example.test")).count();
    }
  }
}
