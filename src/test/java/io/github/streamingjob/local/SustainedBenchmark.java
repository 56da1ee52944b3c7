package io.github.streamingjob.local;

import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.JobConfig;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.job.CliArgs;
import io.github.streamingjob.job.JobSources;
import io.github.streamingjob.job.StreamingJob;
import io.github.streamingjob.sink.IcebergSinkTable;
import io.github.streamingjob.sink.SinkTables;
import io.github.streamingjob.source.SharedKafkaSource;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.TopicsYaml;
import io.github.streamingjob.testing.standin.FlinkRestClient;
import io.github.streamingjob.transform.BaseTransformer;
import io.github.streamingjob.transform.TransformerRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The production shape: all shipped pipelines in one unbounded job, a checkpoint every 10 s, a backlog on
 * every topic. (a) this job, against (b1) the seed's layout in hand-written Flink SQL (a source table per
 * topics.yaml entry) and (b2) the best hand-written job (a source table per Kafka topic, shared by its
 * INSERTs), same transformations, tables and checkpoints; (a0) this job reading shared topics once per
 * entry, as before; (c1) raw Kafka consumption, bytes only, one consumer per core; (c2) this job's
 * sources and transformations into discarding sinks: everything before Iceberg; (d) the job with only the change-data
 * entry and (e) with only an append entry, each reading its topic's backlog. Then freshness: a steady
 * producer at half the sustained rate, commit time minus produce time of every committed row, and what an
 * hour costs the tables. Ends with one RESULT line.
 *
 * <p>{@code mvn -q test-compile exec:exec@sustained [-Dsustained.args="--events 4000000 --warmup-events 1200000 --freshness-seconds 180
 * --runs c1,c2,a,a0,b1,b2,d,e,f --rounds 3"]}
 */
public final class SustainedBenchmark {
  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  static final List<String> TOPICS = List.of("bid-events", "user-activity", "order-events", "shop.public.customers");
  static final String INTERVAL = "10 s";
  /** Partitions per topic: by default twice the parallelism, so every subtask gets the same share. */
  static int partitions = 4;
  /** The configuration every run of this job uses: the shipped one unless {@code --config-dir} says. */
  static Path configDir = Path.of("config");
  /**
   * Whether the freshness run deploys the job twice, {@code Job.role = pipelines} and {@code Job.role = maintenance}
   * (one more slot): what compaction costs freshness when it is not in the pipelines' checkpoints.
   */
  static boolean maintenanceJob;

  private final EmbeddedKafka kafka;
  private final MiniCluster cluster;
  private final Path work;
  private final int parallelism;
  private final Expected expected;
  /** When each checkpoint of the freshness run was triggered (its barrier), by id. */
  private final Map<Long, Long> checkpointTriggered = new HashMap<>();

  private SustainedBenchmark(EmbeddedKafka kafka, MiniCluster cluster, Path work, int parallelism, Expected expected) {
    this.kafka = kafka;
    this.cluster = cluster;
    this.work = work;
    this.parallelism = parallelism;
    this.expected = expected;
  }

  /** What every table must hold once the backlog is in. */
  static final class Expected {
    long events;
    /** Records in the topics (Debezium tombstones included), and in bid-events alone. */
    long records;
    long bidRecords;
    long activityRecords;
    long customerRecords;
    long bids;
    long activities;
    long orders;
    long windows;
    long customers;
  }

  public static void main(String[] args) {
    // Exits either way: a failure would otherwise leave the MiniCluster's and Kafka's threads running, the
    // process with them.
    try {
      run(args);
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  private static void run(String[] args) throws Exception {
    // 4,000,000 per topic: at 1,200,000 a run of (a) lasted about 25 s, of which the JIT compiled for 27 CPU s
    // (every run plans new SQL, so its generated code is compiled anew), and a/b1 measured mostly the JIT.
    int events = 4_000_000;
    int warmupEvents = 1_200_000; // per topic; a warm-up reads this share of the backlog, then is cancelled
    int freshnessSeconds = 180; // long enough for a first compaction of every table (after 10 commits)
    double freshnessRate = Double.NaN; // events/s; half of (a)'s sustained rate unless given
    int parallelism = 2;
    String runs = "c1,c2,a,a0,b1,b2,d,e,f";
    int rounds = 1;
    int warmups = 1;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--events": events = Integer.parseInt(args[i + 1]); break;
        case "--freshness-seconds": freshnessSeconds = Integer.parseInt(args[i + 1]); break;
        case "--freshness-rate": freshnessRate = Double.parseDouble(args[i + 1]); break;
        case "--config-dir": configDir = Path.of(args[i + 1]); break;
        case "--maintenance-job": maintenanceJob = Boolean.parseBoolean(args[i + 1]); break;
        case "--parallelism": parallelism = Integer.parseInt(args[i + 1]); break;
        case "--runs": runs = args[i + 1]; break;
        case "--rounds": rounds = Integer.parseInt(args[i + 1]); break;
        case "--partitions": partitions = Integer.parseInt(args[i + 1]); break;
        case "--warmups": warmups = Integer.parseInt(args[i + 1]); break;
        case "--warmup-events": warmupEvents = Integer.parseInt(args[i + 1]); break;
        case "--top-threads": topThreads = Integer.parseInt(args[i + 1]); break;
        default: throw new IllegalArgumentException("unknown argument " + args[i]
            + " (--events N --freshness-seconds S --freshness-rate R --config-dir D --parallelism P --runs c1,c2,a,a0,b1,b2,d,e,f --rounds R --partitions N --warmups W --warmup-events N --top-threads N)");
      }
    }
    List<String> which = List.of(runs.split(","));
    Path work = Files.createTempDirectory("sustained-benchmark");
    Configuration conf = new Configuration();
    conf.setString("rest.bind-port", "0");
    conf.setString("web.checkpoints.history", "1000"); // every checkpoint of the freshness run, for its report
    // Checkpoints in files, as on a cluster: in the JobManager's memory (a MiniCluster's default) a window's state
    // past 5 MB fails every checkpoint, and nothing commits (seen with --events 4000000).
    conf.setString("execution.checkpointing.dir", work.resolve("checkpoints").toUri().toString());
    MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
        .setNumTaskManagers(1).setNumSlotsPerTaskManager(parallelism + (maintenanceJob ? 1 : 0)).build());
    cluster.start();
    Map<String, Double> rate = new LinkedHashMap<>();
    double[] freshness = {Double.NaN, Double.NaN, Double.NaN};
    double filesPerTableHour = Double.NaN;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      TOPICS.forEach(t -> kafka.createTopic(t, partitions));
      long t = System.nanoTime();
      Expected expected = preload(kafka, events);
      System.out.printf(Locale.ROOT, "Backlog: %,d records on %d topics of %d partitions (%,d per topic; customers as "
          + "Debezium changes) in %.1f s; parallelism %d%n", expected.events, TOPICS.size(), partitions, events,
          (System.nanoTime() - t) / 1e9, parallelism);
      SustainedBenchmark b = new SustainedBenchmark(kafka, cluster, work, parallelism, expected);
      // The first run of a kind in a JVM runs at about half speed: the JIT compiles its code as it goes (27 s of
      // compiling in a 28 s run of (a)). Unmeasured runs of every kind first, so that no kind pays for the others.
      Map<String, List<Double>> seconds = new LinkedHashMap<>();
      Map<String, List<Double>> cpu = new LinkedHashMap<>();
      List<String> order = which.stream().filter(r -> !r.equals("f")).collect(Collectors.toList());
      // A warm-up reads only part of a long backlog: what it warms (Kafka's, Flink's, Iceberg's and Parquet's code)
      // is warm well before, and the measured run's generated code is compiled anew anyway.
      b.warmupShare = Math.min(1.0, (double) warmupEvents / events);
      for (int w = 0; w < warmups; w++) {
        for (String run : order) {
          if (!run.equals("c1")) {
            System.out.printf(Locale.ROOT, "  %-40s %6.1f s  (not counted)%n", "warm-up: " + label(run),
                b.run(run, "warmup-" + w + "-" + run));
          }
        }
      }
      b.warmupShare = Double.NaN;
      // Runs in the order given; further rounds alternate the order, so no kind always runs first.
      for (int round = 0; round < rounds; round++) {
        List<String> now = new ArrayList<>(order);
        if (round % 2 == 1) {
          Collections.reverse(now);
        }
        for (String run : now) {
          String name = run + "-" + round;
          double s = b.run(run, name);
          seconds.computeIfAbsent(run, k -> new ArrayList<>()).add(s);
          b.report(run, label(run) + (rounds > 1 ? " #" + (round + 1) : ""), s);
          if (!run.startsWith("c")) {
            cpu.computeIfAbsent(run, k -> new ArrayList<>()).add(b.cpuSecondsPerMillion);
            System.out.printf(Locale.ROOT, "  %-40s %6.1f s  (every table complete, at the next checkpoint); "
                + "%.1f CPU s per million records read, %.1f s of it JIT compiling%n", "", b.committedSeconds,
                b.cpuSecondsPerMillion, b.jitSeconds);
          }
        }
      }
      if (rounds > 1) {
        System.out.println("Medians:");
      }
      for (Map.Entry<String, List<Double>> e : seconds.entrySet()) {
        double median = median(e.getValue());
        rate.put(e.getKey(), b.records(e.getKey()) / median);
        if (rounds > 1) {
          b.report(e.getKey(), label(e.getKey()), median);
          if (cpu.containsKey(e.getKey())) {
            System.out.printf(Locale.ROOT, "  %-40s %6.1f CPU s per million records read%n", "",
                median(cpu.get(e.getKey())));
          }
        }
      }
    }
    if (which.contains("f")) {
      double steady = Double.isNaN(freshnessRate) ? rate.getOrDefault("a", 20_000.0) / 2 : freshnessRate;
      try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
        TOPICS.forEach(t -> kafka.createTopic(t, partitions));
        SustainedBenchmark b = new SustainedBenchmark(kafka, cluster, work, parallelism, new Expected());
        double[] f = b.freshness(steady, freshnessSeconds);
        freshness = new double[] {f[0], f[1], f[4]};
        filesPerTableHour = f[3];
      }
    }
    cluster.close();
    EmbeddedKafka.deleteQuietly(work);
    System.out.printf(Locale.ROOT, "RESULT sustained_a_over_b1=%.2f sustained_a_over_b2=%.2f a_over_c1=%.2f "
        + "a_over_c2=%.2f a_over_a0=%.2f cdc_over_append=%.2f p50_s=%.1f p99_s=%.1f checkpoint_max_s=%.1f "
        + "files_per_table_hour=%.0f%n", ratio(rate, "a", "b1"), ratio(rate, "a", "b2"), ratio(rate, "a", "c1"),
        ratio(rate, "a", "c2"), ratio(rate, "a", "a0"), ratio(rate, "d", "e"), freshness[0], freshness[1],
        freshness[2], filesPerTableHour);
  }

  private static String label(String run) {
    switch (run) {
      case "a": return "(a) this job";
      case "a0": return "(a0) this job, no shared reads";
      case "b1": return "(b1) SQL, source per entry";
      case "b2": return "(b2) SQL, source per topic";
      case "c1": return "(c1) raw Kafka consumption";
      case "c2": return "(c2) job without Iceberg";
      case "d": return "(d) customers only (changes)";
      case "e": return "(e) user-activity only (append)";
      default: throw new IllegalArgumentException("unknown run " + run);
    }
  }

  /** One run of the given kind, under its own warehouse and consumer groups; its seconds. */
  private double run(String kind, String name) throws Exception {
    switch (kind) {
      case "a": return sustained(name, expected.records, () -> startJob(name));
      case "a0":
        System.setProperty(SharedKafkaSource.SEPARATE_SOURCES_PROPERTY, "true");
        try {
          return sustained(name, expected.records + expected.bidRecords, () -> startJob(name));
        } finally {
          System.clearProperty(SharedKafkaSource.SEPARATE_SOURCES_PROPERTY);
        }
      case "b1": return sustained(name, expected.records + expected.bidRecords, () -> handWritten(name, false));
      case "b2": return sustained(name, expected.records, () -> handWritten(name, true));
      case "c1": return rawConsumption();
      case "c2": return jobWithoutIceberg(name);
      case "d": return alone(name, "customers", expected.customerRecords, this::customersComplete);
      case "e": return alone(name, "user-activity", expected.activityRecords,
          c -> records(c, "user_events_processed") >= expected.activities);
      default: throw new IllegalArgumentException("unknown run " + kind);
    }
  }

  /** The middle of the rounds' figures (the upper middle of an even count). */
  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static double ratio(Map<String, Double> rate, String a, String b) {
    return rate.containsKey(a) && rate.containsKey(b) ? rate.get(a) / rate.get(b) : Double.NaN;
  }

  /** The records a run of this kind reads: the backlog, or the one topic of (d) and (e). */
  private double records(String kind) {
    return kind.equals("d") ? expected.customerRecords : kind.equals("e") ? expected.activityRecords : expected.events;
  }

  private double report(String kind, String what, double seconds) {
    double r = records(kind) / seconds;
    System.out.printf(Locale.ROOT, "  %-40s %6.1f s  %,10.0f events/s%n", what, seconds, r);
    return r;
  }

  // ---- the backlog --------------------------------------------------------------------------------

  static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("acks", "1");
    p.put("linger.ms", "20");
    p.put("batch.size", Integer.toString(512 * 1024));
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static void send(KafkaProducer<byte[], byte[]> producer, String topic, Integer partition, String key, String value) {
    producer.send(new ProducerRecord<>(topic, partition, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8)));
  }

  static String bid(long i, long timestamp) {
    return "{\"user_id\":" + (i % 1000) + ",\"bid_id\":\"bid-" + i + "\",\"amount\":" + (i % 10_000) + "." + (i % 100)
        + ",\"timestamp_ms\":" + timestamp + "}";
  }

  static String activity(long i, long timestamp) {
    return "{\"user_id\":" + (i % 1000) + ",\"activity_type\":\"view\",\"page_url\":\"/p/" + i + "\",\"timestamp_ms\":"
        + timestamp + "}";
  }

  static String order(long i, long timestamp) {
    return "{\"order_id\":\"o-" + i + "\",\"user_id\":" + (i % 1000) + ",\"amount\":" + (i % 10 == 0 ? "-1.0" : "12.5")
        + ",\"status\":\"paid\",\"timestamp_ms\":" + timestamp + "}";
  }

  /** n records per topic; bids 10 ms apart in event time, then a clock on every partition closes the windows. */
  static Expected preload(EmbeddedKafka kafka, int n) {
    Expected e = new Expected();
    ChangeDataBenchmark.Changes customers = new ChangeDataBenchmark.Changes(n / 8);
    java.util.Set<String> windows = new java.util.HashSet<>();
    try (KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
      for (long i = 0; i < n; i++) {
        long ts = T0 + i * 10;
        send(producer, "bid-events", null, null, bid(i, ts));
        windows.add((i % 1000) + "@" + ts / 60_000);
        send(producer, "user-activity", null, null, activity(i, ts));
        send(producer, "order-events", null, null, order(i, ts));
        customers.next(producer, "shop.public.customers");
      }
      for (int p = 0; p < partitions; p++) {
        send(producer, "bid-events", p, null, "{\"user_id\":-1,\"bid_id\":\"clock-" + p + "\",\"amount\":0,"
            + "\"timestamp_ms\":" + (T0 + n * 10L + 120_000) + "}");
      }
      producer.flush();
    }
    e.bids = n + partitions;
    e.activities = n;
    e.orders = n - (n + 9) / 10;
    e.windows = windows.size();
    e.customers = customers.live() - customers.testAccounts();
    e.events = 4L * n + partitions;
    Properties props = new Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      for (String topic : TOPICS) {
        List<TopicPartition> all = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
          all.add(new TopicPartition(topic, p));
        }
        long records = c.endOffsets(all).values().stream().mapToLong(Long::longValue).sum();
        e.records += records;
        if (topic.equals("bid-events")) {
          e.bidRecords = records;
        } else if (topic.equals("user-activity")) {
          e.activityRecords = records;
        } else if (topic.equals("shop.public.customers")) {
          e.customerRecords = records;
        }
      }
    }
    return e;
  }

  // ---- the runs --------------------------------------------------------------------------------------

  interface Starter {
    JobClient start() throws Exception;
  }

  /**
   * Seconds from the job running (planning and deployment are start-up, not throughput) until its Kafka
   * consumers have read every record of the backlog ({@code reads}: a topic read twice counts twice). With
   * backpressure, reading paces processing: the reader runs at most a few network buffers ahead of the
   * writers. Timing the drain rather than the commits keeps the checkpoint interval out of the figure: every
   * table holds every event only at the first checkpoint after the drain, up to 10 s later, which made
   * single runs of 20-40 s differ by a third. That moment is still awaited, checked, and printed.
   */
  private double sustained(String name, long reads, Starter starter) throws Exception {
    return sustained(name, reads, starter, this::complete);
  }

  private double sustained(String name, long reads, Starter starter,
      java.util.function.Predicate<HadoopCatalog> complete) throws Exception {
    JobClient job = starter.start();
    while (job.getJobStatus().get() != org.apache.flink.api.common.JobStatus.RUNNING) {
      Thread.sleep(20);
    }
    boolean warmup = !Double.isNaN(warmupShare) && warmupShare < 1.0;
    long until = warmup ? Math.round(reads * warmupShare) : reads;
    long start = System.nanoTime();
    long cpu = processCpuNanos();
    long jit = java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    Map<Long, Long> threadCpu = threadCpuNanos();
    HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(),
        work.resolve(name).toUri().toString());
    try {
      long deadline = System.nanoTime() + 30 * 60 * 1_000_000_000L;
      // The drain first, from in-memory metrics every 20 ms; the tables only every 2 s (reading them takes CPU
      // from what is measured), to catch metrics that undercount.
      for (int polls = 1; recordsConsumed() < until; polls++) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(name + " did not read its backlog in 30 minutes: " + recordsConsumed()
              + " of " + reads + " records");
        }
        if (polls % 100 == 0 && complete.test(catalog)) {
          throw new IllegalStateException(name + ": every table complete, but its consumers report only "
              + recordsConsumed() + " of " + reads + " records read");
        }
        Thread.sleep(20);
      }
      double drained = (System.nanoTime() - start) / 1e9;
      if (warmup) {
        return drained; // cancelled below, its tables left incomplete
      }
      cpuSecondsPerMillion = (processCpuNanos() - cpu) / 1e9 / (reads / 1e6);
      jitSeconds = (java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit) / 1e3;
      printBusiestThreads(threadCpu, drained);
      while (!complete.test(catalog)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(name + " did not finish in 30 minutes: " + status(catalog));
        }
        Thread.sleep(500);
      }
      committedSeconds = (System.nanoTime() - start) / 1e9;
      return drained;
    } finally {
      job.cancel().get();
    }
  }

  /** During warm-ups, the share of the backlog a run reads before it is cancelled; NaN for measured runs. */
  private double warmupShare = Double.NaN;

  /** Seconds from running to every table complete, of the last {@link #sustained} run. */
  private double committedSeconds = Double.NaN;
  /**
   * The JVM's CPU seconds per million records from running to the drain, of the last {@link #sustained} run: whether a
   * change saves work or only moves it between threads. It varies between rounds too, as the seconds do: compare
   * medians.
   */
  private double cpuSecondsPerMillion = Double.NaN;
  /** Seconds the JIT compilers spent in the last {@link #sustained} run until the drain: warm-up not yet done. */
  private double jitSeconds = Double.NaN;

  /** Threads to list after each run, with the share of the run each was on a CPU; {@code --top-threads}. */
  static int topThreads;

  private static Map<Long, Long> threadCpuNanos() {
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    Map<Long, Long> out = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      out.put(id, threads.getThreadCpuTime(id));
    }
    return out;
  }

  /**
   * The busiest threads since {@code before}: a Flink task's thread is named after its chain of operators, so a task
   * on a CPU for most of the run is the one the others wait for (backpressure).
   */
  private static void printBusiestThreads(Map<Long, Long> before, double seconds) {
    if (topThreads <= 0) {
      return;
    }
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    Map<String, Long> byName = new HashMap<>();
    for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null) {
        long now = threads.getThreadCpuTime(info.getThreadId());
        byName.merge(info.getThreadName(), now - before.getOrDefault(info.getThreadId(), 0L), Long::sum);
      }
    }
    byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(topThreads)
        .forEach(e -> System.out.printf(Locale.ROOT, "      %3.0f%% %s%n", 100 * e.getValue() / 1e9 / seconds,
            e.getKey().length() > 160 ? e.getKey().substring(0, 157) + "..." : e.getKey()));
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * Records read so far by the Kafka consumers of this JVM, from the metrics every Kafka client registers in
   * JMX; only the running job's consumers exist (a closed consumer unregisters its metrics).
   */
  static long recordsConsumed() throws Exception {
    javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
    long sum = 0;
    for (javax.management.ObjectName n : server.queryNames(
        new javax.management.ObjectName("kafka.consumer:type=consumer-fetch-manager-metrics,client-id=*"), null)) {
      if (n.getKeyProperty("topic") == null && n.getKeyProperty("partition") == null) {
        try {
          sum += ((Number) server.getAttribute(n, "records-consumed-total")).longValue();
        } catch (javax.management.AttributeNotFoundException | javax.management.InstanceNotFoundException e) {
          // a consumer that has not fetched yet, or one closing
        }
      }
    }
    return sum;
  }

  private long records(HadoopCatalog catalog, String table) {
    TableIdentifier id = TableIdentifier.of("bench", table);
    if (!catalog.tableExists(id)) {
      return 0;
    }
    Table t = catalog.loadTable(id);
    return TableStatus.rows(t.currentSnapshot());
  }

  private boolean complete(HadoopCatalog catalog) {
    if (records(catalog, "bid_events_raw") < expected.bids || records(catalog, "user_events_processed") < expected.activities
        || records(catalog, "order_events_enriched") < expected.orders
        || records(catalog, "bid_events_aggregated") < expected.windows) {
      return false;
    }
    return customersComplete(catalog);
  }

  /** The change-data table holds exactly the live customers the backlog leaves, test accounts left out. */
  private boolean customersComplete(HadoopCatalog catalog) {
    return TableStatus.liveRows(catalog.loadTable(TableIdentifier.of("bench", "customers"))) == expected.customers;
  }

  private String status(HadoopCatalog catalog) {
    return String.format("bids %d/%d, activity %d/%d, orders %d/%d, windows %d/%d", records(catalog, "bid_events_raw"),
        expected.bids, records(catalog, "user_events_processed"), expected.activities,
        records(catalog, "order_events_enriched"), expected.orders, records(catalog, "bid_events_aggregated"),
        expected.windows);
  }

  private Path properties(String name, boolean bounded) {
    return properties(name, bounded, "all");
  }

  private Path properties(String name, boolean bounded, String role) {
    PropertiesFile p = PropertiesFile.local(kafka.bootstrapServers(), work.resolve(name), "bench")
        .set("Job", "parallelism", Integer.toString(parallelism)).set("Job", "role", role);
    if (bounded) {
      p.set("KafkaSource", "bounded", "true");
    } else {
      p.set("Job", "checkpoint.interval", INTERVAL);
    }
    return p.writeTo(work.resolve(name + "-" + role + ".json"));
  }

  /** (a) The job, shipped config, unbounded, checkpointed. */
  private JobClient startJob(String name) throws Exception {
    CliArgs cli = CliArgs.parse("--config-dir", configDir.toString(), "--properties",
        properties(name, false, name.equals("f") && maintenanceJob ? "pipelines" : "all").toString());
    return StreamingJob.run(cli, new TestStreamEnvironment(cluster, parallelism), JobSources.fromArgs(cli));
  }

  /** The tables' maintenance of run {@code name} as a job of its own: the same JAR with {@code Job.role = maintenance}. */
  private JobClient startMaintenanceJob(String name) throws Exception {
    CliArgs cli = CliArgs.parse("--config-dir", configDir.toString(), "--properties",
        properties(name, false, "maintenance").toString());
    System.out.println("  the tables' maintenance in a job of its own (Job.role = maintenance)");
    return StreamingJob.run(cli, new TestStreamEnvironment(cluster, parallelism), JobSources.fromArgs(cli));
  }

  /**
   * (d), (e) The job with one entry of the configuration enabled, reading its topic's backlog: change data against
   * append, as records/s of the same job on the same machine. One Debezium record is one change (an update: a
   * delete and an insert of the key in Flink, an equality delete and a data row in Iceberg); a tombstone counts too.
   */
  private double alone(String name, String entry, long reads, java.util.function.Predicate<HadoopCatalog> complete)
      throws Exception {
    TopicsYaml topics = TopicsYaml.of(configDir);
    if (!topics.entries().contains(entry)) {
      throw new IllegalArgumentException(configDir.resolve("topics.yaml") + " has no entry " + entry);
    }
    for (String n : topics.entries()) {
      topics = topics.set(n, "enabled", n.equals(entry));
    }
    Path dir = topics.writeTo(work.resolve(name + "-config"));
    CliArgs cli = CliArgs.parse("--config-dir", dir.toString(), "--properties", properties(name, false).toString());
    return sustained(name, reads,
        () -> StreamingJob.run(cli, new TestStreamEnvironment(cluster, parallelism), JobSources.fromArgs(cli)),
        complete);
  }

  /** (c2) The job's sources, decoding and transformations into discarding sinks, bounded. */
  private double jobWithoutIceberg(String name) throws Exception {
    CliArgs cli = CliArgs.parse("--config-dir", configDir.toString(), "--properties", properties(name, true).toString());
    org.apache.flink.table.api.TableResult result = StreamingJob.runWithoutIceberg(cli,
        new TestStreamEnvironment(cluster, parallelism), JobSources.fromArgs(cli));
    JobClient job = result.getJobClient().orElseThrow();
    // As for the others: from the job running, so planning and deployment are not counted as throughput.
    org.apache.flink.api.common.JobStatus status;
    while ((status = job.getJobStatus().get()) != org.apache.flink.api.common.JobStatus.RUNNING && !status.isGloballyTerminalState()) {
      Thread.sleep(5);
    }
    long start = System.nanoTime();
    result.await();
    return (System.nanoTime() - start) / 1e9;
  }

  /**
   * (c1) Every record of every topic consumed, bytes only, by as many plain consumers as the job has Kafka
   * source readers (one per topic and subtask, each on the same partitions). Not one per core: two consumers
   * (a consumer has at most one fetch in flight per broker, and here there is one broker) read 255,000 to
   * 264,000 records/s, well below what the job itself reads, and bounded nothing.
   */
  private double rawConsumption() throws Exception {
    List<List<TopicPartition>> readers = new ArrayList<>();
    for (String topic : TOPICS) {
      for (int t = 0; t < parallelism; t++) {
        List<TopicPartition> mine = new ArrayList<>();
        for (int p = t; p < partitions; p += parallelism) {
          mine.add(new TopicPartition(topic, p));
        }
        readers.add(mine);
      }
    }
    java.util.concurrent.atomic.LongAdder bytes = new java.util.concurrent.atomic.LongAdder();
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (List<TopicPartition> mine : readers) {
      Thread th = new Thread(() -> {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("enable.auto.commit", "false");
        p.put("max.poll.records", "2000");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
          c.assign(mine);
          c.seekToBeginning(mine);
          Map<TopicPartition, Long> end = c.endOffsets(mine);
          while (mine.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
            for (ConsumerRecord<byte[], byte[]> rec : c.poll(java.time.Duration.ofMillis(200))) {
              bytes.add(rec.value() == null ? 0 : rec.value().length);
            }
          }
        }
      });
      th.start();
      threads.add(th);
    }
    for (Thread th : threads) {
      th.join();
    }
    return (System.nanoTime() - start) / 1e9;
  }

  /**
   * (b1, b2) The shipped pipelines as a careful engineer writes them in Flink SQL: the same tables (created
   * with Iceberg's API, as Flink DDL cannot partition by days()), the transformers' own SQL, plain JSON
   * and Debezium formats, one StatementSet, the same checkpoints.
   */
  private JobClient handWritten(String name, boolean sourcePerTopic) throws Exception {
    JobConfig config = ConfigLoader.load(configDir);
    HadoopCatalog iceberg = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(),
        work.resolve(name).toUri().toString());
    SinkTables.ensure(iceberg, "bench", config.enabledTopics().stream().map(IcebergSinkTable::resolved)
        .collect(Collectors.toList()));
    TestStreamEnvironment env = new TestStreamEnvironment(cluster, parallelism);
    env.enableCheckpointing(10_000);
    StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
    tEnv.getConfig().setLocalTimeZone(ZoneOffset.UTC);
    tEnv.executeSql("CREATE CATALOG hand WITH ('type'='iceberg', 'catalog-type'='hadoop', 'warehouse'='"
        + work.resolve(name).toUri() + "')");
    String kafkaOptions = "'connector'='kafka', 'properties.bootstrap.servers'='" + kafka.bootstrapServers() + "', "
        + "'scan.startup.mode'='earliest-offset'";
    String bids = "user_id BIGINT, bid_id STRING, amount DOUBLE, timestamp_ms BIGINT";
    String bidsWithTime = bids + ", event_time AS TO_TIMESTAMP_LTZ(timestamp_ms, 3), "
        + "WATERMARK FOR event_time AS event_time - INTERVAL '5' SECOND";
    Map<String, String> sourceOf = new HashMap<>();
    if (sourcePerTopic) {
      tEnv.executeSql("CREATE TEMPORARY TABLE bids (" + bidsWithTime + ") WITH (" + kafkaOptions
          + ", 'topic'='bid-events', 'properties.group.id'='" + name + "-bids', 'format'='json')");
      sourceOf.put("bid-events", "bids");
      sourceOf.put("bid-events-aggregated", "bids");
    } else {
      tEnv.executeSql("CREATE TEMPORARY TABLE bids (" + bids + ") WITH (" + kafkaOptions
          + ", 'topic'='bid-events', 'properties.group.id'='" + name + "-bids', 'format'='json')");
      tEnv.executeSql("CREATE TEMPORARY TABLE bids_agg (" + bidsWithTime + ") WITH (" + kafkaOptions
          + ", 'topic'='bid-events', 'properties.group.id'='" + name + "-bids-agg', 'format'='json')");
      sourceOf.put("bid-events", "bids");
      sourceOf.put("bid-events-aggregated", "bids_agg");
    }
    tEnv.executeSql("CREATE TEMPORARY TABLE activity (user_id BIGINT, activity_type STRING, page_url STRING, "
        + "timestamp_ms BIGINT) WITH (" + kafkaOptions + ", 'topic'='user-activity', 'properties.group.id'='" + name
        + "-activity', 'format'='json')");
    tEnv.executeSql("CREATE TEMPORARY TABLE orders (order_id STRING, user_id BIGINT, amount DOUBLE, status STRING, "
        + "timestamp_ms BIGINT) WITH (" + kafkaOptions + ", 'topic'='order-events', 'properties.group.id'='" + name
        + "-orders', 'format'='json')");
    tEnv.executeSql("CREATE TEMPORARY TABLE customers (customer_id BIGINT, name STRING, email STRING, country STRING, "
        + "PRIMARY KEY (customer_id) NOT ENFORCED) WITH (" + kafkaOptions + ", 'topic'='shop.public.customers', "
        + "'properties.group.id'='" + name + "-customers', 'format'='debezium-json')");
    sourceOf.put("user-activity", "activity");
    sourceOf.put("order-events", "orders");
    sourceOf.put("customers", "customers");
    StatementSet set = tEnv.createStatementSet();
    TransformerRegistry registry = new TransformerRegistry(getClass().getClassLoader());
    for (TopicDef topic : config.enabledTopics()) {
      BaseTransformer transformer = registry.create(config.transformations().get(topic.transformation()), topic,
          new io.github.streamingjob.config.Problems());
      set.addInsertSql("INSERT INTO hand.bench." + topic.sink().tableName() + " "
          + transformer.getTransformationSql(sourceOf.get(topic.name())));
    }
    return set.execute().getJobClient().orElseThrow();
  }

  // ---- freshness and what an hour costs ------------------------------------------------------------

  /**
   * p50, p99, max seconds from produce to commit on bid_events_raw; data files per table and hour; the longest
   * checkpoint in seconds.
   */
  private double[] freshness(double perSecond, int seconds) throws Exception {
    System.out.printf(Locale.ROOT, "Freshness: %,.0f events/s for %d s, checkpoints every %s%n",
        perSecond, seconds, INTERVAL);
    JobClient job = startJob("f");
    HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(),
        work.resolve("f").toUri().toString());
    // Freshness is the steady state's: production starts once every task runs and a first checkpoint has
    // completed, so the job's deployment (seconds, for over a hundred tasks with maintenance) is not in it.
    URI rest = cluster.getRestAddress().get();
    FlinkRestClient flink = new FlinkRestClient(rest.getHost(), rest.getPort());
    String jobId = job.getJobID().toHexString();
    long running = System.nanoTime();
    while (!flink.allTasksRunning(jobId) || flink.completedCheckpoints(jobId) < 1) {
      if (System.nanoTime() - running > 300_000_000_000L) {
        throw new IllegalStateException("the freshness job has no completed checkpoint after 5 minutes");
      }
      Thread.sleep(200);
    }
    JobClient maintenance = maintenanceJob ? startMaintenanceJob("f") : null;
    long start = System.currentTimeMillis();
    ChangeDataBenchmark.Changes customers = new ChangeDataBenchmark.Changes(10_000);
    long sent = 0;
    try (KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
      while (System.currentTimeMillis() - start < seconds * 1000L) {
        long now = System.currentTimeMillis();
        int topic = (int) (sent % 4);
        long i = sent / 4;
        if (topic == 0) {
          send(producer, "bid-events", null, null, bid(i, now));
        } else if (topic == 1) {
          send(producer, "user-activity", null, null, activity(i, now));
        } else if (topic == 2) {
          send(producer, "order-events", null, null, order(i, now));
        } else {
          customers.next(producer, "shop.public.customers");
        }
        sent++;
        if (sent % 200 == 0) {
          producer.flush();
          long due = start + (long) (sent * 1000 / perSecond);
          long sleep = due - System.currentTimeMillis();
          if (sleep > 0) {
            Thread.sleep(sleep);
          }
        }
      }
    }
    long produced = System.currentTimeMillis() - start;
    long bidsSent = (sent + 3) / 4;
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (records(catalog, "bid_events_raw") < bidsSent) { // the last events' checkpoint commits
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("bid_events_raw holds " + records(catalog, "bid_events_raw") + " of the "
            + bidsSent + " bids sent, a minute after the last");
      }
      Thread.sleep(500);
    }
    double checkpointMax = reportCheckpoints(flink, jobId);
    job.cancel().get();
    if (maintenance != null) {
      maintenance.cancel().get();
    }
    Table raw = catalog.loadTable(TableIdentifier.of("bench", "bid_events_raw"));
    List<Double> latencies = new ArrayList<>();
    List<String> commitParts = new ArrayList<>();
    List<Snapshot> snapshots = new ArrayList<>();
    raw.snapshots().forEach(snapshots::add);
    Long parent = null;
    for (Snapshot s : snapshots) {
      IcebergGenerics.ScanBuilder scan = IcebergGenerics.read(raw);
      long oldest = Long.MAX_VALUE;
      try (CloseableIterable<Record> rows = parent == null ? scan.useSnapshot(s.snapshotId()).build()
          : scan.appendsBetween(parent, s.snapshotId()).build()) {
        for (Record r : rows) {
          long producedAt = ((LocalDateTime) r.getField("event_time")).toInstant(ZoneOffset.UTC).toEpochMilli();
          latencies.add((s.timestampMillis() - producedAt) / 1000.0);
          oldest = Math.min(oldest, producedAt);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      parent = s.snapshotId();
      // Where a commit's oldest row spent its time: before its checkpoint's barrier, and from it to the commit.
      String checkpoint = s.summary().get("flink.max-committed-checkpoint-id");
      Long barrier = checkpoint == null ? null : checkpointTriggered.get(Long.parseLong(checkpoint));
      if (barrier != null && oldest != Long.MAX_VALUE) {
        commitParts.add(String.format(Locale.ROOT, "#%s %.1f+%.1f", checkpoint, (barrier - oldest) / 1000.0,
            (s.timestampMillis() - barrier) / 1000.0));
      }
    }
    System.out.println("  bid_events_raw's commits, oldest row's seconds before its checkpoint's barrier + barrier to "
        + "commit: " + String.join(", ", commitParts));
    Collections.sort(latencies);
    double p50 = latencies.get(latencies.size() / 2);
    double p99 = latencies.get((int) (latencies.size() * 0.99));
    double max = latencies.get(latencies.size() - 1);
    System.out.printf(Locale.ROOT, "  %,d events produced over %.0f s; bid_events_raw: %,d rows committed in %d commits; "
        + "commit minus produce: p50 %.1f s, p99 %.1f s, max %.1f s%n", sent, produced / 1000.0, latencies.size(),
        snapshots.size(), p50, p99, max);
    double hours = produced / 3_600_000.0;
    double files = 0;
    int tables = 0;
    System.out.printf(Locale.ROOT, "  per table and hour at a %s interval:%n", INTERVAL);
    for (TableIdentifier id : catalog.listTables(org.apache.iceberg.catalog.Namespace.of("bench"))) {
      Table t = catalog.loadTable(id);
      long snaps = 0;
      for (Snapshot ignored : t.snapshots()) {
        snaps++;
      }
      List<Long> sizes = new ArrayList<>();
      try (CloseableIterable<FileScanTask> tasks = t.newScan().planFiles()) {
        for (FileScanTask task : tasks) {
          DataFile f = task.file();
          sizes.add(f.fileSizeInBytes());
        }
      }
      long metadata = 0;
      try (java.util.stream.Stream<Path> files2 = Files.list(Path.of(t.location().replace("file:", "")).resolve("metadata"))) {
        for (Path p : files2.collect(Collectors.toList())) {
          metadata += Files.size(p);
        }
      }
      Collections.sort(sizes);
      double perHour = sizes.size() / hours;
      files += perHour;
      tables++;
      System.out.printf(Locale.ROOT, "    %-24s %,7.0f data files, %,6.0f snapshots, %,8.1f MB metadata; files: "
          + "min %s, median %s, max %s%n", id.name(), perHour, snaps / hours, metadata / 1e6 / hours,
          kb(sizes, 0), kb(sizes, sizes.size() / 2), kb(sizes, sizes.size() - 1));
    }
    return new double[] {p50, p99, max, files / tables, checkpointMax};
  }

  /**
   * The freshness run's checkpoints: a table commits when a checkpoint completes, so a checkpoint that takes long
   * delays every table's rows. Prints the durations and, for each checkpoint over 3 s, the operator that
   * acknowledged last. Returns the longest, in seconds.
   */
  private double reportCheckpoints(FlinkRestClient flink, String jobId) {
    Map<String, String> vertexNames = new HashMap<>();
    flink.job(jobId).path("vertices").forEach(v -> vertexNames.put(v.path("id").asText(), v.path("name").asText()));
    List<Double> durations = new ArrayList<>();
    List<String> slow = new ArrayList<>();
    for (JsonNode c : flink.checkpoints(jobId).path("history")) {
      if (!"COMPLETED".equals(c.path("status").asText())) {
        continue;
      }
      checkpointTriggered.put(c.path("id").asLong(), c.path("trigger_timestamp").asLong());
      double seconds = c.path("end_to_end_duration").asLong() / 1000.0;
      durations.add(seconds);
      if (seconds > 3) {
        String last = "";
        long lastAck = -1;
        JsonNode tasks = flink.get("jobs/" + jobId + "/checkpoints/details/" + c.path("id").asLong()).path("tasks");
        for (Iterator<Map.Entry<String, JsonNode>> it = tasks.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> task = it.next();
          long ack = task.getValue().path("latest_ack_timestamp").asLong();
          if (ack > lastAck) {
            lastAck = ack;
            last = vertexNames.getOrDefault(task.getKey(), task.getKey());
          }
        }
        slow.add(String.format(Locale.ROOT, "#%d %.1f s (last: %s)", c.path("id").asLong(), seconds,
            last.length() > 90 ? last.substring(0, 90) + "..." : last));
      }
    }
    Collections.sort(durations);
    double longest = durations.isEmpty() ? Double.NaN : durations.get(durations.size() - 1);
    System.out.printf(Locale.ROOT, "  checkpoints: %d completed, median %.1f s, max %.1f s%s%n", durations.size(),
        durations.isEmpty() ? Double.NaN : durations.get(durations.size() / 2), longest,
        slow.isEmpty() ? "" : "; over 3 s: " + String.join(", ", slow));
    return longest;
  }

  private static String kb(List<Long> sizes, int i) {
    return sizes.isEmpty() ? "-" : String.format(Locale.ROOT, "%.0f KB", sizes.get(i) / 1024.0);
  }
}
