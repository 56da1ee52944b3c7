package io.github.streamingjob.local;

import io.github.streamingjob.job.CliArgs;
import io.github.streamingjob.job.JobSources;
import io.github.streamingjob.job.StreamingJob;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.TopicsYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;

/**
 * What each candidate Parquet setting costs the writer and what it takes from a reader, on the shipped
 * {@code bid_events_raw} table: the job (only {@code bid-events}, bounded) writes one backlog per setting, its
 * {@code sink.properties} being the setting, and its throughput, CPU and bytes are measured. Once more per setting,
 * with files rolled small as a stream writes them, Iceberg's own scan planning and Parquet reader then count the
 * files, row groups and rows that four filters (a day, an hour of it, one {@code bid_id}, one {@code user_id}) still
 * read: what the setting takes from a reader.
 *
 * <p>{@code mvn -q test-compile exec:exec@parquet -Dparquet.args="--events 2000000 --rounds 3"}
 */
public final class ParquetBenchmark {
  private static final String TOPIC = "bid-events";
  private static final String NAMESPACE = "bench";
  /** 2024-01-01T00:00:00Z. However many events, they span four and a half days: five daily partitions. */
  private static final long T0 = 1_704_067_200_000L;
  private static final long SPAN_MS = 108L * 3600 * 1000;

  /**
   * Files rolled at this size (the writer's in-memory estimate) for the reader's counts: a stream writes small files,
   * one per checkpoint and writer, each over a few seconds of event time, where a backlog read in one go would write
   * one file per partition and writer. Here that is about 6,000 rows and 31 KB a file, what a table of 600 events/s
   * writes per writer and 10 s checkpoint.
   */
  private static final String READER_FILE_SIZE = Integer.toString(256 << 10);

  /** The candidates, each as the {@code sink.properties} it adds to the shipped entry. */
  static final Map<String, Map<String, String>> SETTINGS = new LinkedHashMap<>();

  static {
    SETTINGS.put("shipped (Iceberg defaults: zstd, truncate(16) metrics)", Map.of());
    SETTINGS.put("zstd level 1", Map.of("write.parquet.compression-level", "1"));
    SETTINGS.put("snappy", Map.of("write.parquet.compression-codec", "snappy"));
    SETTINGS.put("uncompressed", Map.of("write.parquet.compression-codec", "uncompressed"));
    SETTINGS.put("metrics counts only", Map.of("write.metadata.metrics.default", "counts"));
    SETTINGS.put("no statistics for bid_id", Map.of("write.parquet.stats-enabled.column.bid_id", "false"));
    SETTINGS.put("row groups of 1 MiB", Map.of("write.parquet.row-group-size-bytes", Integer.toString(1 << 20)));
    SETTINGS.put("bloom filter on bid_id", Map.of("write.parquet.bloom-filter-enabled.column.bid_id", "true"));
  }

  private final EmbeddedKafka kafka;
  private final MiniCluster cluster;
  private final Path work;
  private final Path configDir;
  private final int events;
  private final int parallelism;

  private ParquetBenchmark(EmbeddedKafka kafka, MiniCluster cluster, Path work, Path configDir, int events,
      int parallelism) {
    this.kafka = kafka;
    this.cluster = cluster;
    this.work = work;
    this.configDir = configDir;
    this.events = events;
    this.parallelism = parallelism;
  }

  /** What the writer did in one run. */
  private static final class Write {
    final double eventsPerSecond;
    final double cpuSecondsPerMillion;
    final long bytes;

    Write(double eventsPerSecond, double cpuSecondsPerMillion, long bytes) {
      this.eventsPerSecond = eventsPerSecond;
      this.cpuSecondsPerMillion = cpuSecondsPerMillion;
      this.bytes = bytes;
    }
  }

  /** The table one setting wrote, and what each filter reads of it. */
  private static final class Layout {
    long files;
    long rowGroups;
    final Map<String, long[]> read = new LinkedHashMap<>(); // filter -> {files, row groups, rows}
  }

  public static void main(String[] args) throws Exception {
    int events = 2_000_000;
    int rounds = 3;
    int warmups = 1;
    int partitions = 4;
    int parallelism = Runtime.getRuntime().availableProcessors();
    String configDir = "config";
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--events": events = Integer.parseInt(args[i + 1]); break;
        case "--rounds": rounds = Integer.parseInt(args[i + 1]); break;
        case "--warmups": warmups = Integer.parseInt(args[i + 1]); break;
        case "--partitions": partitions = Integer.parseInt(args[i + 1]); break;
        case "--parallelism": parallelism = Integer.parseInt(args[i + 1]); break;
        case "--config-dir": configDir = args[i + 1]; break;
        default: throw new IllegalArgumentException("unknown argument " + args[i]
            + " (--events N --rounds R --warmups W --partitions P --parallelism P --config-dir DIR)");
      }
    }
    Path work = Files.createTempDirectory("kafka-iceberg-parquet-benchmark");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic(TOPIC, partitions);
      System.out.printf(Locale.ROOT, "Pre-loading %,d JSON %s events over 4.5 days into %d partitions...%n", events,
          TOPIC, partitions);
      long n = events;
      Benchmark.preload(kafka, TOPIC, events, i -> T0 + i * SPAN_MS / n);
      org.apache.flink.configuration.Configuration conf = new org.apache.flink.configuration.Configuration();
      conf.setString("rest.bind-port", "0"); // a local run may hold 8081
      MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
          .setNumTaskManagers(1).setNumSlotsPerTaskManager(parallelism).build());
      cluster.start();
      try {
        new ParquetBenchmark(kafka, cluster, work, Path.of(configDir), events, parallelism).run(rounds, warmups);
      } finally {
        cluster.close();
      }
    } finally {
      EmbeddedKafka.deleteQuietly(work);
    }
  }

  private void run(int rounds, int warmups) throws Exception {
    Map<String, List<Write>> writes = new LinkedHashMap<>();
    Map<String, Layout> layouts = new LinkedHashMap<>();
    int n = 0;
    for (int r = 1 - warmups; r <= rounds; r++) {
      boolean measured = r >= 1;
      System.out.println(measured ? "Round " + r + ":" : "Warm-up (not counted):");
      List<String> order = new ArrayList<>(SETTINGS.keySet());
      // Each round starts further down the list, so no setting always runs first (or right after a warm-up).
      java.util.Collections.rotate(order, -Math.max(0, r - 1));
      for (String setting : order) {
        Path warehouse = work.resolve("w" + (n++));
        Write w = write(setting, Map.of(), warehouse);
        System.out.printf(Locale.ROOT, "  %-58s %,9.0f events/s  %5.1f CPU s per million%n", setting,
            w.eventsPerSecond, w.cpuSecondsPerMillion);
        if (measured) {
          writes.computeIfAbsent(setting, k -> new ArrayList<>()).add(w);
          if (!layouts.containsKey(setting)) {
            Path small = work.resolve("w" + (n++));
            write(setting, Map.of("write.target-file-size-bytes", READER_FILE_SIZE), small);
            layouts.put(setting, layout(small));
            EmbeddedKafka.deleteQuietly(small);
          }
        }
        EmbeddedKafka.deleteQuietly(warehouse);
      }
    }
    summary(writes, layouts, rounds);
  }

  /** The job, bounded, with only bid-events and the setting's table properties. */
  private Write write(String setting, Map<String, String> more, Path warehouse) throws Exception {
    TopicsYaml topics = TopicsYaml.of(configDir);
    Map<String, Object> properties = new LinkedHashMap<>();
    @SuppressWarnings("unchecked")
    Map<String, Object> configured = (Map<String, Object>) topics.get(TOPIC, "sink.properties");
    if (configured != null) {
      properties.putAll(configured);
    }
    properties.putAll(SETTINGS.get(setting));
    properties.putAll(more);
    Path dir = topics.set(TOPIC, "sink.properties", properties)
        .writeTo(warehouse.resolveSibling(warehouse.getFileName() + "-config"));
    Path props = PropertiesFile.local(kafka.bootstrapServers(), warehouse, NAMESPACE)
        .set("KafkaSource", "bounded", "true")
        .set("Job", "parallelism", Integer.toString(parallelism))
        .set("Job", "topics", TOPIC)
        .writeTo(dir.resolve("properties.json"));
    CliArgs cli = CliArgs.parse("--config-dir", dir.toString(), "--properties", props.toString());
    long cpu = SustainedBenchmark.processCpuNanos();
    org.apache.flink.core.execution.JobClient job =
        StreamingJob.run(cli, new TestStreamEnvironment(cluster, parallelism), JobSources.fromArgs(cli));
    // The job's own runtime: planning and submission are the same for every setting.
    double seconds = job.getJobExecutionResult().get().getNetRuntime() / 1000.0;
    double cpuSeconds = (SustainedBenchmark.processCpuNanos() - cpu) / 1e9;
    Table table = table(warehouse);
    long rows = Long.parseLong(table.currentSnapshot().summary().get("total-records"));
    if (rows != events) {
      throw new IllegalStateException(setting + ": the table has " + rows + " rows, expected " + events);
    }
    long bytes = 0;
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        bytes += task.file().fileSizeInBytes();
      }
    }
    return new Write(events / seconds, cpuSeconds / (events / 1e6), bytes);
  }

  /** The files and row groups written, and what each filter still reads, by Iceberg's planning and Parquet reader. */
  private Layout layout(Path warehouse) throws IOException {
    Table table = table(warehouse);
    Layout layout = new Layout();
    long written = 0;
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        layout.files++;
        layout.rowGroups += rowGroups(task.file()).size();
        written += task.file().recordCount();
      }
    }
    if (written != events) {
      throw new IllegalStateException(warehouse + ": " + written + " rows in the data files, expected " + events);
    }
    long lookup = (27L * 3600 + 1800) * 1000 * events / SPAN_MS; // the event at 2024-01-02T03:30:00
    Expression day = Expressions.and(Expressions.greaterThanOrEqual("event_time", "2024-01-02T00:00:00"),
        Expressions.lessThan("event_time", "2024-01-03T00:00:00"));
    Map<String, Expression> filters = new LinkedHashMap<>();
    filters.put("day", day);
    filters.put("hour", Expressions.and(Expressions.greaterThanOrEqual("event_time", "2024-01-02T03:00:00"),
        Expressions.lessThan("event_time", "2024-01-02T04:00:00")));
    filters.put("bid_id", Expressions.and(day, Expressions.equal("bid_id", "bid-" + lookup)));
    filters.put("user_id", Expressions.and(day, Expressions.equal("user_id", 42L)));
    for (Map.Entry<String, Expression> f : filters.entrySet()) {
      long[] read = new long[3];
      try (CloseableIterable<FileScanTask> tasks = table.newScan().filter(f.getValue()).planFiles()) {
        for (FileScanTask task : tasks) {
          read[0]++;
          List<long[]> groups = rowGroups(task.file());
          for (long[] group : groups) {
            long rows = rowsRead(table, task.file(), group, f.getValue());
            read[1] += rows > 0 ? 1 : 0;
            read[2] += rows;
          }
        }
      }
      layout.read.put(f.getKey(), read);
    }
    return layout;
  }

  /** A file's row groups as {start, length}, from the split offsets Iceberg keeps of every Parquet file. */
  private static List<long[]> rowGroups(DataFile file) {
    List<Long> offsets = file.splitOffsets();
    if (offsets == null || offsets.isEmpty()) {
      throw new IllegalStateException(file.location() + " has no split offsets");
    }
    List<long[]> groups = new ArrayList<>();
    for (int i = 0; i < offsets.size(); i++) {
      long end = i + 1 < offsets.size() ? offsets.get(i + 1) : file.fileSizeInBytes();
      groups.add(new long[] {offsets.get(i), end - offsets.get(i)});
    }
    return groups;
  }

  /**
   * The rows a reader decodes of one row group under the filter: Iceberg's Parquet reader skips the row group by its
   * statistics, dictionaries and bloom filters, and otherwise (records not filtered) returns all of its rows.
   */
  private static long rowsRead(Table table, DataFile file, long[] group, Expression filter) throws IOException {
    long n = 0;
    try (CloseableIterable<Record> rows = Parquet.read(table.io().newInputFile(file.location()))
        .project(table.schema()).split(group[0], group[1]).filter(filter).filterRecords(false).caseSensitive(true)
        .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(table.schema(), fileSchema)).build()) {
      for (Record ignored : rows) {
        n++;
      }
    }
    return n;
  }

  private void summary(Map<String, List<Write>> writes, Map<String, Layout> layouts, int rounds) {
    String first = SETTINGS.keySet().iterator().next();
    double baseRate = median(writes.get(first), w -> w.eventsPerSecond);
    Layout base = layouts.get(first);
    double baseBytes = median(writes.get(first), w -> w.bytes);
    System.out.println();
    System.out.printf(Locale.ROOT, "%,d events of %s, parallelism %d, bounded, %d cores, median of %d round(s); "
        + "files and row groups of the table written with files rolled at %s bytes, read = the files / row groups "
        + "/ rows a filter still reads of it%n", events, TOPIC, parallelism, Runtime.getRuntime().availableProcessors(),
        rounds, READER_FILE_SIZE);
    System.out.print("| setting | events/s | vs shipped | CPU s per million | MiB | vs shipped | files | row groups |");
    base.read.keySet().forEach(f -> System.out.print(" read: " + f + " |"));
    System.out.println();
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|".repeat(base.read.size()));
    for (String setting : SETTINGS.keySet()) {
      List<Write> w = writes.get(setting);
      Layout l = layouts.get(setting);
      double rate = median(w, x -> x.eventsPerSecond);
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT,
          "| %s | %,.0f | %.2f | %.1f | %.1f | %.2f | %d | %d |", setting, rate, rate / baseRate,
          median(w, x -> x.cpuSecondsPerMillion), median(w, x -> x.bytes) / 1048576.0,
          median(w, x -> x.bytes) / baseBytes, l.files,
          l.rowGroups));
      l.read.values().forEach(r -> row.append(String.format(Locale.ROOT, " %d / %d / %,d |", r[0], r[1], r[2])));
      System.out.println(row);
    }
  }

  private static double median(List<Write> writes, java.util.function.ToDoubleFunction<Write> f) {
    return SustainedBenchmark.median(writes.stream().map(f::applyAsDouble).collect(java.util.stream.Collectors.toList()));
  }

  private static Table table(Path warehouse) {
    return new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), warehouse.toUri().toString())
        .loadTable(TableIdentifier.of(NAMESPACE, "bid_events_raw"));
  }
}
