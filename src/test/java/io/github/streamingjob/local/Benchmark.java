package io.github.streamingjob.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.streamingjob.job.CliArgs;
import io.github.streamingjob.job.JobSources;
import io.github.streamingjob.job.StreamingJob;
import io.github.streamingjob.testing.PropertiesFile;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * End-to-end throughput, in one JVM, one after another on the same pre-loaded topic: (a) this job
 * with the shipped config in bounded mode, (b) the same pipeline as hand-written Flink SQL, (c) a
 * parse-only ceiling (Kafka consumers parsing every record with Jackson). Prints the medians.
 *
 * <p>{@code mvn -q test-compile exec:exec@benchmark -Dbenchmark.args="--events 2000000 --repeats 3"}
 */
public final class Benchmark {
  private static final String TOPIC = "bid-events";
  private static final long T0 = 1_704_067_200_000L;

  private final EmbeddedKafka kafka;
  private final MiniCluster cluster;
  private final Path work;
  private final int events;
  private final int parallelism;
  private final String configDir;

  private Benchmark(EmbeddedKafka kafka, MiniCluster cluster, Path work, int events, int parallelism,
      String configDir) {
    this.configDir = configDir;
    this.kafka = kafka;
    this.cluster = cluster;
    this.work = work;
    this.events = events;
    this.parallelism = parallelism;
  }

  /** One measured run. */
  static final class Run {
    final double seconds;
    /** The Flink job's own runtime, without planning and submission; the wall time for (c). */
    double jobSeconds;
    final long rows;
    final long files;
    final int snapshots;

    Run(double seconds, long rows, long files, int snapshots) {
      this.seconds = seconds;
      this.jobSeconds = seconds;
      this.rows = rows;
      this.files = files;
      this.snapshots = snapshots;
    }
  }

  public static void main(String[] args) throws Exception {
    int events = 2_000_000;
    int repeats = 5;
    int partitions = 4;
    int parallelism = Runtime.getRuntime().availableProcessors();
    String configDir = "config";
    // Opt-in: it builds a second Maven project (benchmarks/kafka-connect) on first use.
    boolean kafkaConnect = false;
    int warmups = 2;
    String runs = "abc";
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--events": events = Integer.parseInt(args[i + 1]); break;
        case "--repeats": repeats = Integer.parseInt(args[i + 1]); break;
        case "--partitions": partitions = Integer.parseInt(args[i + 1]); break;
        case "--parallelism": parallelism = Integer.parseInt(args[i + 1]); break;
        case "--config-dir": configDir = args[i + 1]; break;
        case "--kafka-connect": kafkaConnect = Boolean.parseBoolean(args[i + 1]); break;
        case "--warmups": warmups = Integer.parseInt(args[i + 1]); break;
        case "--runs": runs = args[i + 1]; break;
        default: throw new IllegalArgumentException("unknown argument " + args[i]
            + " (--events N --repeats R --partitions P --parallelism P --config-dir DIR --kafka-connect true|false --warmups W --runs abc)");
      }
    }
    Path work = Files.createTempDirectory("kafka-iceberg-benchmark");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic(TOPIC, partitions);
      System.out.printf(Locale.ROOT, "Pre-loading %,d JSON %s events into %d partitions...%n", events, TOPIC, partitions);
      long t = System.nanoTime();
      preload(kafka, events);
      System.out.printf(Locale.ROOT, "  loaded in %.1f s%n", (System.nanoTime() - t) / 1e9);
      org.apache.flink.configuration.Configuration conf = new org.apache.flink.configuration.Configuration();
      conf.setString("rest.bind-port", "0"); // a local run may hold 8081
      MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
          .setNumTaskManagers(1).setNumSlotsPerTaskManager(parallelism).build());
      cluster.start();
      String connectClasspath = kafkaConnect ? KafkaConnectBaseline.classpath() : null;
      try {
        Benchmark b = new Benchmark(kafka, cluster, work, events, parallelism, configDir);
        List<Run> job = new ArrayList<>();
        List<Run> hand = new ArrayList<>();
        List<Run> parse = new ArrayList<>();
        List<Run> connect = new ArrayList<>();
        // Unmeasured rounds first: class loading and JIT would otherwise be charged to the first runs.
        for (int r = 1; r <= warmups + repeats; r++) {
          boolean measured = r > warmups;
          System.out.println(measured ? "Measured round " + (r - warmups) + ":" : "Warm-up round " + r + " (not counted):");
          // Alternate which of (a) and (b) goes first, so neither always inherits the other's garbage.
          String order = r % 2 == 1 ? "abcd" : "bacd";
          for (char run : order.toCharArray()) {
            if (runs.indexOf(run) < 0 && !(run == 'd' && connectClasspath != null)) {
              continue;
            }
            switch (run) {
              case 'a': add(measured, job, b.report("(a) this job", b.runJob(r))); break;
              case 'b': add(measured, hand, b.report("(b) hand-written SQL", b.runHandWritten(r))); break;
              case 'c': add(measured, parse, b.report("(c) parse-only", b.parseOnly(r))); break;
              default: add(measured, connect, b.report("(d) Kafka Connect", b.kafkaConnect(connectClasspath, r)));
            }
          }
        }
        b.summary(job, hand, parse, connect, repeats, partitions);
      } finally {
        cluster.close();
      }
    } finally {
      EmbeddedKafka.deleteQuietly(work); // warehouses of every round: hundreds of MB
    }
  }

  private static void add(boolean measured, List<Run> runs, Run run) {
    if (measured) {
      runs.add(run);
    }
  }

  private static void preload(EmbeddedKafka kafka, int events) {
    preload(kafka, TOPIC, events, i -> T0 + i);
  }

  /** {@code events} JSON bids into {@code topic}, the i-th with the event time {@code timestampMs(i)}. */
  static void preload(EmbeddedKafka kafka, String topic, int events, java.util.function.LongUnaryOperator timestampMs) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("acks", "1");
    p.put("linger.ms", "20");
    p.put("batch.size", Integer.toString(512 * 1024));
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      StringBuilder sb = new StringBuilder(128);
      for (int i = 0; i < events; i++) {
        sb.setLength(0);
        sb.append("{\"user_id\":").append(i % 1000).append(",\"bid_id\":\"bid-").append(i)
            .append("\",\"amount\":").append(i % 10_000).append('.').append(i % 100)
            .append(",\"timestamp_ms\":").append(timestampMs.applyAsLong(i)).append('}');
        producer.send(new ProducerRecord<>(topic, sb.toString().getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
  }

  /** (a) StreamingJob with the shipped config/ (dead-letter format included), bounded. */
  private Run runJob(int r) throws Exception {
    Path warehouse = work.resolve("job-" + r);
    Path props = PropertiesFile.local(kafka.bootstrapServers(), warehouse, "bench")
        .set("KafkaSource", "bounded", "true")
        .set("Job", "parallelism", Integer.toString(parallelism))
        .set("Job", "topics", "bid-events")
        .writeTo(work.resolve("job-" + r + ".json"));
    CliArgs cli = CliArgs.parse("--config-dir", configDir, "--properties", props.toString());
    long start = System.nanoTime();
    org.apache.flink.core.execution.JobClient result =
        StreamingJob.run(cli, new TestStreamEnvironment(cluster, parallelism), JobSources.fromArgs(cli));
    result.getJobExecutionResult().get();
    double seconds = (System.nanoTime() - start) / 1e9;
    return stats(seconds, result, warehouse, "bench");
  }

  /** (b) The same source, sink and INSERT written by hand: no framework code at all. */
  private Run runHandWritten(int r) throws Exception {
    Path warehouse = work.resolve("hand-" + r);
    long start = System.nanoTime();
    // No checkpoints, as the job does in a bounded run: with them, Iceberg 1.10's committer can lose the
    // files of the writer that finishes first (see BoundedRunITCase), and this baseline did, twice.
    TestStreamEnvironment env = new TestStreamEnvironment(cluster, parallelism);
    StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
    tEnv.getConfig().setLocalTimeZone(java.time.ZoneOffset.UTC);
    // The same table as the shipped config's, partitioned by days(event_time): Flink DDL cannot say
    // days(), so a hand-written job creates it with Iceberg's API.
    HadoopCatalog iceberg = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), warehouse.toUri().toString());
    org.apache.iceberg.Schema schema = new org.apache.iceberg.Schema(
        org.apache.iceberg.types.Types.NestedField.optional(1, "user_id", org.apache.iceberg.types.Types.LongType.get()),
        org.apache.iceberg.types.Types.NestedField.optional(2, "bid_id", org.apache.iceberg.types.Types.StringType.get()),
        org.apache.iceberg.types.Types.NestedField.optional(3, "amount", org.apache.iceberg.types.Types.DoubleType.get()),
        org.apache.iceberg.types.Types.NestedField.optional(4, "event_time",
            org.apache.iceberg.types.Types.TimestampType.withoutZone()),
        org.apache.iceberg.types.Types.NestedField.optional(5, "ingestion_time",
            org.apache.iceberg.types.Types.TimestampType.withoutZone()));
    iceberg.createTable(TableIdentifier.of("bench", "bid_events_raw"), schema,
        org.apache.iceberg.PartitionSpec.builderFor(schema).day("event_time").build());
    tEnv.executeSql("CREATE CATALOG hand WITH ('type'='iceberg', 'catalog-type'='hadoop', 'warehouse'='"
        + warehouse.toUri() + "')");
    tEnv.executeSql("CREATE TEMPORARY TABLE src (user_id BIGINT, bid_id STRING, amount DOUBLE, timestamp_ms BIGINT) "
        + "WITH ('connector'='kafka', 'topic'='" + TOPIC + "', 'properties.bootstrap.servers'='"
        + kafka.bootstrapServers() + "', 'properties.group.id'='hand-" + r + "', "
        + "'scan.startup.mode'='earliest-offset', 'scan.bounded.mode'='latest-offset', 'format'='json')");
    org.apache.flink.table.api.TableResult result = tEnv.createStatementSet().addInsertSql(
        "INSERT INTO hand.bench.bid_events_raw SELECT user_id, bid_id, amount, "
        + "TO_TIMESTAMP_LTZ(timestamp_ms, 3), CURRENT_TIMESTAMP FROM src").execute();
    result.await();
    double seconds = (System.nanoTime() - start) / 1e9;
    return stats(seconds, result.getJobClient().orElseThrow(), warehouse, "bench");
  }

  /** (c) As fast as the records can be read and parsed here: one consumer thread per core. */
  private Run parseOnly(int r) throws Exception {
    List<TopicPartition> all = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      c.partitionsFor(TOPIC).forEach(pi -> all.add(new TopicPartition(TOPIC, pi.partition())));
    }
    AtomicLong parsed = new AtomicLong();
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < parallelism; t++) {
      List<TopicPartition> mine = new ArrayList<>();
      for (int i = t; i < all.size(); i += parallelism) {
        mine.add(all.get(i));
      }
      Thread th = new Thread(() -> {
        ObjectMapper mapper = new ObjectMapper();
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
          c.assign(mine);
          c.seekToBeginning(mine);
          java.util.Map<TopicPartition, Long> end = c.endOffsets(mine);
          while (mine.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
            for (ConsumerRecord<byte[], byte[]> rec : c.poll(java.time.Duration.ofMillis(200))) {
              mapper.readTree(rec.value());
              parsed.incrementAndGet();
            }
          }
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      th.start();
      threads.add(th);
    }
    for (Thread th : threads) {
      th.join();
    }
    return new Run((System.nanoTime() - start) / 1e9, parsed.get(), 0, 0);
  }

  /** (d) Apache Iceberg's Kafka Connect sink, in its own JVM (see benchmarks/kafka-connect). */
  private Run kafkaConnect(String classpath, int r) throws Exception {
    Path warehouse = work.resolve("connect-" + r);
    // One task: two were slower here (87,000 vs 99,000-126,000 events/s on 2 cores, 1 s offset flushes).
    String[] result = KafkaConnectBaseline.run(classpath, kafka.bootstrapServers(), TOPIC, events, warehouse, 1);
    Run run = new Run(Double.parseDouble(result[1]), Long.parseLong(result[2]), Long.parseLong(result[3]),
        Integer.parseInt(result[4]));
    return run;
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("enable.auto.commit", "false");
    p.put("max.poll.records", "2000");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private Run stats(double seconds, org.apache.flink.core.execution.JobClient result, Path warehouse,
      String namespace) throws Exception {
    double jobSeconds = result.getJobExecutionResult().get().getNetRuntime() / 1000.0;
    Run run = readTable(seconds, warehouse, namespace);
    if (run.rows != events) {
      // Tell a late commit from a lost one: look again once the job has surely finished its commits.
      System.out.printf(Locale.ROOT, "  !! %d rows right after the job finished; re-reading in 5 s%n", run.rows);
      Thread.sleep(5_000);
      run = readTable(seconds, warehouse, namespace);
      System.out.printf(Locale.ROOT, "  !! %d rows 5 s later (status %s)%n", run.rows,
          result.getJobStatus().get());
    }
    run.jobSeconds = jobSeconds;
    return run;
  }

  private static Run readTable(double seconds, Path warehouse, String namespace) {
    HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), warehouse.toUri().toString());
    Table t = catalog.loadTable(TableIdentifier.of(namespace, "bid_events_raw"));
    Snapshot s = t.currentSnapshot();
    int snapshots = 0;
    for (Snapshot ignored : t.snapshots()) {
      snapshots++;
    }
    return new Run(seconds, Long.parseLong(s.summary().get("total-records")),
        Long.parseLong(s.summary().get("total-data-files")), snapshots);
  }

  private Run report(String what, Run run) {
    System.out.printf(Locale.ROOT, "  %-22s wall %5.1f s %,10.0f events/s | job %5.1f s %,10.0f events/s | rows=%d "
        + "files=%d snapshots=%d%n", what, run.seconds, events / run.seconds, run.jobSeconds, events / run.jobSeconds,
        run.rows, run.files, run.snapshots);
    if (run.rows != events) {
      throw new IllegalStateException(what + " wrote " + run.rows + " rows, expected " + events);
    }
    return run;
  }

  private double median(List<Run> runs, boolean job) {
    List<Double> rates = new ArrayList<>();
    runs.forEach(r -> rates.add(events / (job ? r.jobSeconds : r.seconds)));
    Collections.sort(rates);
    return rates.get(rates.size() / 2);
  }

  /** The median and range of the per-round ratios a/b. */
  private static String paired(List<Run> a, List<Run> b, boolean job) {
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      ratios.add(job ? b.get(i).jobSeconds / a.get(i).jobSeconds : b.get(i).seconds / a.get(i).seconds);
    }
    Collections.sort(ratios);
    return String.format(Locale.ROOT, "median %.3f (%.3f-%.3f)", ratios.get(ratios.size() / 2), ratios.get(0),
        ratios.get(ratios.size() - 1));
  }

  private static double medianOf(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
    double[] v = runs.stream().mapToDouble(f).sorted().toArray();
    return v[v.length / 2];
  }

  private void summary(List<Run> job, List<Run> hand, List<Run> parse, List<Run> connect, int repeats,
      int partitions) throws Exception {
    long heapPeak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        heapPeak += pool.getPeakUsage().getUsed();
      }
    }
    String rss = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM"))
        .findFirst().orElse("VmHWM: n/a").replaceAll("\\s+", " ");
    System.out.println();
    System.out.printf(Locale.ROOT, "%,d events, %d partitions, parallelism %d, bounded (one commit), %d cores, "
        + "median of %d%n", events, partitions, parallelism, Runtime.getRuntime().availableProcessors(), repeats);
    System.out.println("| run | events/s, wall (median) | events/s, job runtime (median) | rows | data files | snapshots |");
    System.out.println("|---|---:|---:|---:|---:|---:|");
    row("(a) this job, shipped config", job, true);
    row("(b) hand-written Flink SQL", hand, true);
    row("(c) parse-only ceiling (" + parallelism + " Jackson consumers)", parse, false);
    row("(d) Iceberg Kafka Connect sink (1 task, 1 s commits)", connect, false);
    if (!job.isEmpty() && !hand.isEmpty()) {
      System.out.printf(Locale.ROOT, "a/b, medians:         wall %.3f, job runtime %.3f%n",
          median(job, false) / median(hand, false), median(job, true) / median(hand, true));
      // Rounds of (a) and (b) run back to back, so their ratio cancels most of the machine's drift.
      System.out.printf(Locale.ROOT, "a/b, paired by round: wall %s, job runtime %s%n", paired(job, hand, false),
          paired(job, hand, true));
      System.out.printf(Locale.ROOT, "start-up (wall minus job runtime), median: (a) %.2f s, (b) %.2f s%n",
          medianOf(job, r -> r.seconds - r.jobSeconds), medianOf(hand, r -> r.seconds - r.jobSeconds));
    }
    if (!job.isEmpty() && !parse.isEmpty()) {
      System.out.printf(Locale.ROOT, "a/c, medians:         wall %.3f, job runtime %.3f%n",
          median(job, false) / median(parse, false), median(job, true) / median(parse, false));
    }
    if (!job.isEmpty() && !connect.isEmpty()) {
      System.out.printf(Locale.ROOT, "a/d, medians:         wall %.3f%n", median(job, false) / median(connect, false));
    }
    System.out.printf(Locale.ROOT, "peak heap used = %d MiB, peak RSS (%s)%n", heapPeak >> 20, rss);
  }

  private void row(String name, List<Run> runs, boolean hasJobRuntime) {
    if (runs.isEmpty()) {
      return;
    }
    Run last = runs.get(runs.size() - 1);
    boolean table = last.snapshots > 0;
    System.out.printf(Locale.ROOT, "| %s | %,.0f | %s | %s | %s | %s |%n", name, median(runs, false),
        hasJobRuntime ? String.format(Locale.ROOT, "%,.0f", median(runs, true)) : "-",
        table ? Long.toString(last.rows) : "-", table ? Long.toString(last.files) : "-",
        table ? Integer.toString(last.snapshots) : "-");
  }
}
