package io.github.streamingjob.local;

import io.github.streamingjob.job.CliArgs;
import io.github.streamingjob.job.JobSources;
import io.github.streamingjob.job.StreamingJob;
import io.github.streamingjob.testing.PropertiesFile;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * What table maintenance buys and costs: the job streams the shipped config's topics at a steady rate for the same
 * time twice, without maintenance and with it (shipped defaults; expiry compressed to the run's length), then
 * reports per table the data files, snapshots and metadata size, how long a full scan takes, and the CPU the
 * process used. Run: {@code mvn -q test-compile exec:exec@maintenance [-Dmaintenance.args="--minutes 10"]}.
 */
public final class MaintenanceBenchmark {
  static final List<String> TABLES = List.of("bid_events_raw", "user_events_processed", "order_events_enriched");

  public static void main(String[] args) throws Exception {
    double minutes = 10;
    int rate = 2_000;
    int parallelism = 2;
    double warmupMinutes = 1;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--minutes": minutes = Double.parseDouble(args[i + 1]); break;
        case "--rate": rate = Integer.parseInt(args[i + 1]); break;
        case "--parallelism": parallelism = Integer.parseInt(args[i + 1]); break;
        case "--warmup-minutes": warmupMinutes = Double.parseDouble(args[i + 1]); break;
        default: throw new IllegalArgumentException("unknown argument " + args[i]
            + " (--minutes M --rate EVENTS_PER_S_PER_TOPIC --parallelism P --warmup-minutes W)");
      }
    }
    Path work = Files.createTempDirectory("maintenance-benchmark");
    Configuration conf = new Configuration();
    conf.setString("rest.bind-port", "0");
    conf.setString("taskmanager.memory.network.min", "192m");
    conf.setString("taskmanager.memory.network.max", "192m");
    MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
        .setNumTaskManagers(1).setNumSlotsPerTaskManager(parallelism).build());
    cluster.start();
    System.out.printf(Locale.ROOT, "Streaming %,d events/s into each of %s for %.0f min per run, checkpoints every "
        + "%s, parallelism %d, %d cores%n", rate, TABLES, minutes, SustainedBenchmark.INTERVAL, parallelism,
        Runtime.getRuntime().availableProcessors());
    Map<String, Run> runs = new LinkedHashMap<>();
    try {
      if (warmupMinutes > 0) {
        stream(cluster, work, "warmup", false, rate, parallelism, warmupMinutes); // JIT; not reported
      }
      runs.put("without", stream(cluster, work, "without", false, rate, parallelism, minutes));
      runs.put("with", stream(cluster, work, "with", true, rate, parallelism, minutes));
    } finally {
      cluster.close();
    }
    Run off = runs.get("without");
    Run on = runs.get("with");
    System.out.printf(Locale.ROOT, "%-24s %14s %14s%n", "", "without", "with maintenance");
    for (String table : TABLES) {
      Stats a = off.tables.get(table);
      Stats b = on.tables.get(table);
      System.out.println(table);
      System.out.printf(Locale.ROOT, "  %-22s %14d %14d%n", "rows", a.rows, b.rows);
      System.out.printf(Locale.ROOT, "  %-22s %14d %14d%n", "data files", a.dataFiles, b.dataFiles);
      System.out.printf(Locale.ROOT, "  %-22s %14d %14d%n", "snapshots", a.snapshots, b.snapshots);
      System.out.printf(Locale.ROOT, "  %-22s %14s %14s%n", "metadata.json", kb(a.metadataBytes), kb(b.metadataBytes));
      System.out.printf(Locale.ROOT, "  %-22s %12.0f ms %12.0f ms%n", "full scan (median of 3)", a.scanMillis,
          b.scanMillis);
    }
    System.out.printf(Locale.ROOT, "CPU of the whole process (job, broker, producer): %.0f s without, %.0f s with "
        + "(+%.1f%%)%n", off.cpuSeconds, on.cpuSeconds, 100 * (on.cpuSeconds / off.cpuSeconds - 1));
    Stats a = off.tables.get("bid_events_raw");
    Stats b = on.tables.get("bid_events_raw");
    System.out.printf(Locale.ROOT, "RESULT minutes=%.0f files_without=%d files_with=%d snapshots_without=%d "
        + "snapshots_with=%d scan_ms_without=%.0f scan_ms_with=%.0f cpu_extra_pct=%.1f%n", minutes, a.dataFiles,
        b.dataFiles, a.snapshots, b.snapshots, a.scanMillis, b.scanMillis,
        100 * (on.cpuSeconds / off.cpuSeconds - 1));
    EmbeddedKafka.deleteQuietly(work);
  }

  static final class Run {
    final Map<String, Stats> tables = new LinkedHashMap<>();
    double cpuSeconds;
  }

  static final class Stats {
    long rows;
    int dataFiles;
    int snapshots;
    long metadataBytes;
    double scanMillis;
  }

  /** One run on a broker of its own, so that each run reads only what was produced during it. */
  private static Run stream(MiniCluster cluster, Path work, String name, boolean maintenance, int rate,
      int parallelism, double minutes) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      SustainedBenchmark.TOPICS.forEach(t -> kafka.createTopic(t, 4));
      return stream(kafka, cluster, work, name, maintenance, rate, parallelism, minutes);
    }
  }

  private static Run stream(EmbeddedKafka kafka, MiniCluster cluster, Path work, String name, boolean maintenance,
      int rate, int parallelism, double minutes) throws Exception {
    Path config = config(work.resolve("config-" + name), maintenance);
    Path warehouse = work.resolve(name);
    Path props = PropertiesFile.local(kafka.bootstrapServers(), warehouse, "bench")
        .set("Job", "parallelism", Integer.toString(parallelism))
        .set("Job", "checkpoint.interval", SustainedBenchmark.INTERVAL)
        .set("Job", "topics", "bid-events,user-activity,order-events")
        .writeTo(work.resolve(name + ".json"));
    CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
    AtomicBoolean running = new AtomicBoolean(true);
    Thread producer = new Thread(() -> produce(kafka, rate, running, name), "producer-" + name);
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    JobClient job = StreamingJob.run(cli, new TestStreamEnvironment(cluster, parallelism), JobSources.fromArgs(cli));
    producer.start();
    long end = System.nanoTime() + (long) (minutes * 60e9);
    while (System.nanoTime() < end) {
      Thread.sleep(Math.min(30_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      if (!name.equals("warmup")) {
        System.out.printf(Locale.ROOT, "  %s: %.1f min%n", name, minutes - (end - System.nanoTime()) / 60e9);
      }
    }
    running.set(false);
    producer.join();
    job.cancel().get();
    Run run = new Run();
    run.cpuSeconds = (os.getProcessCpuTime() - cpu0) / 1e9;
    HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), warehouse.toUri().toString());
    for (String table : TABLES) {
      run.tables.put(table, stats(catalog.loadTable(TableIdentifier.of("bench", table))));
    }
    return run;
  }

  /** The shipped config; without maintenance every table says so, with it expiry fits the run's length. */
  private static Path config(Path dir, boolean maintenance) throws IOException {
    Files.createDirectories(dir);
    String topics = Files.readString(Path.of("config/topics.yaml"));
    String block = maintenance
        ? "      maintenance:\n        expire_snapshots: {every: \"1 min\", older_than: \"2 min\"}\n"
        : "      maintenance:\n        enabled: false\n";
    Files.writeString(dir.resolve("topics.yaml"), topics.replace("    sink:\n", "    sink:\n" + block));
    Files.copy(Path.of("config/transformations.yaml"), dir.resolve("transformations.yaml"));
    return dir;
  }

  private static void produce(EmbeddedKafka kafka, int rate, AtomicBoolean running, String name) {
    try (KafkaProducer<byte[], byte[]> p = SustainedBenchmark.producer(kafka)) {
      long i = 0;
      long start = System.nanoTime();
      while (running.get()) {
        long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
        for (; i < due; i++) {
          long now = System.currentTimeMillis();
          SustainedBenchmark.send(p, "bid-events", null, null, SustainedBenchmark.bid(i, now));
          SustainedBenchmark.send(p, "user-activity", null, null, SustainedBenchmark.activity(i, now));
          SustainedBenchmark.send(p, "order-events", null, null, SustainedBenchmark.order(i, now));
        }
        Thread.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Stats stats(Table table) throws IOException {
    Stats s = new Stats();
    Snapshot current = table.currentSnapshot();
    s.dataFiles = Integer.parseInt(current.summary().getOrDefault("total-data-files", "0"));
    for (Snapshot ignored : table.snapshots()) {
      s.snapshots++;
    }
    String metadata = ((org.apache.iceberg.HasTableOperations) table).operations().current().metadataFileLocation();
    s.metadataBytes = table.io().newInputFile(metadata).getLength();
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      long t = System.nanoTime();
      long rows = 0;
      try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
        for (Record ignored : it) {
          rows++;
        }
      }
      times.add((System.nanoTime() - t) / 1e6);
      s.rows = rows;
    }
    Collections.sort(times);
    s.scanMillis = times.get(1);
    return s;
  }

  private static String kb(long bytes) {
    return String.format(Locale.ROOT, "%,d KB", bytes / 1024);
  }
}
