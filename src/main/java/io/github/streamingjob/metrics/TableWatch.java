package io.github.streamingjob.metrics;

import java.io.Serializable;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.flink.CatalogLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's per-table metrics, measured from outside the write path, as an operator reads them: one instance per
 * job, which every few seconds reads each table's new snapshots ({@link CommitWatch}) and each source's committed
 * offsets ({@link KafkaProgress}). It works on a thread of its own, so a slow catalog or broker never holds up the
 * operator, nor the checkpoints it takes part in; what it cannot read, it reports as older (never as fresher).
 */
public final class TableWatch extends ProcessFunction<Long, Void> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(TableWatch.class);
  /** Uids: name-derived, as every operator of the job (the tick source keeps its position in savepoints). */
  public static final String SOURCE_UID = "job metrics: ticks";
  public static final String WATCH_UID = "job metrics: watch";
  public static final String END_UID = "job metrics: end";
  public static final List<String> UIDS = List.of(SOURCE_UID, WATCH_UID, END_UID);
  /** How often tables and offsets are read: a catalog load per table and a few Kafka requests per source. */
  public static final Duration INTERVAL = Duration.ofSeconds(5);
  private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(10);
  private static final long WARN_EVERY_MILLIS = 300_000;

  private final CatalogLoader catalogLoader;
  private final String namespace;
  private final List<String> tables;
  private final List<Read> reads;

  private transient ScheduledExecutorService thread;
  private transient Catalog catalog;
  private transient Map<String, TableState> tableStates;
  private transient Map<Read, ReadState> readStates;
  private transient Map<String, Long> lastWarned;

  public TableWatch(CatalogLoader catalogLoader, String namespace, List<String> tables, List<Read> reads) {
    this.catalogLoader = catalogLoader;
    this.namespace = namespace;
    this.tables = List.copyOf(tables);
    this.reads = List.copyOf(reads);
  }

  /**
   * Adds the watch to {@code env}: a source of one tick a minute (it only keeps the operator alive; the work is timed
   * by its own thread), the watch, and a sink that discards nothing, all at parallelism 1, chained.
   */
  public static void appendTo(StreamExecutionEnvironment env, TableWatch watch) {
    DataGeneratorSource<Long> ticks = new DataGeneratorSource<>(i -> i, Long.MAX_VALUE,
        RateLimiterStrategy.perSecond(1.0 / 60), Types.LONG);
    env.fromSource(ticks, WatermarkStrategy.noWatermarks(), SOURCE_UID).uid(SOURCE_UID).setParallelism(1)
        .process(watch, Types.VOID).name(WATCH_UID).uid(WATCH_UID).setParallelism(1)
        .sinkTo(new DiscardingSink<>()).name(END_UID).uid(END_UID).setParallelism(1);
  }

  @Override
  public void open(OpenContext context) {
    MetricGroup operator = getRuntimeContext().getMetricGroup();
    tableStates = new LinkedHashMap<>();
    readStates = new LinkedHashMap<>();
    lastWarned = new java.util.HashMap<>();
    String jobId = getRuntimeContext().getJobInfo().getJobId().toString();
    for (String t : tables) {
      TableState s = new TableState(JobMetrics.table(operator, t), jobId);
      tableStates.put(t, s);
    }
    for (Read r : reads) {
      ReadState s = new ReadState();
      readStates.put(r, s);
      for (String t : r.tables) {
        JobMetrics.table(operator, t).gauge(JobMetrics.FRESHNESS_SECONDS, (Gauge<Double>) () -> s.behindSeconds(
            System.currentTimeMillis()));
      }
      for (String p : r.pipelines) {
        JobMetrics.pipeline(operator, p).gauge(JobMetrics.KAFKA_LAG_RECORDS, (Gauge<Long>) () -> s.lagRecords);
      }
    }
    thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "table-watch");
      t.setDaemon(true);
      return t;
    });
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    thread.scheduleWithFixedDelay(() -> {
      Thread.currentThread().setContextClassLoader(loader);
      look();
    }, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void processElement(Long tick, Context ctx, Collector<Void> out) {
    // Ticks only keep the operator alive.
  }

  /** One look at every table and source; a failure is logged (rarely) and looked at again next time. */
  private void look() {
    for (Map.Entry<String, TableState> e : tableStates.entrySet()) {
      try {
        if (catalog == null) {
          catalog = catalogLoader.loadCatalog();
        }
        TableState s = e.getValue();
        if (s.table == null) {
          s.table = catalog.loadTable(TableIdentifier.of(namespace, e.getKey()));
        } else {
          s.table.refresh();
        }
        s.update();
      } catch (RuntimeException | LinkageError x) {
        warn("table " + e.getKey(), x);
      }
    }
    for (Map.Entry<Read, ReadState> e : readStates.entrySet()) {
      Read r = e.getKey();
      ReadState s = e.getValue();
      try {
        if (s.progress == null) {
          s.progress = new KafkaProgress(r.clientProperties, r.topic, r.groupId);
        }
        KafkaProgress.Position p = s.progress.measure(KAFKA_TIMEOUT);
        s.measured(p, System.currentTimeMillis());
      } catch (RuntimeException x) {
        warn("the offsets of Kafka topic " + r.topic + " (group " + r.groupId + ")", x);
      }
    }
  }

  private void warn(String what, Throwable x) {
    long now = System.currentTimeMillis();
    Long last = lastWarned.get(what);
    if (last == null || now - last > WARN_EVERY_MILLIS) {
      lastWarned.put(what, now);
      LOG.warn("Metrics: cannot read {} (reported as not fresher until it can): {}: {}", what,
          x.getClass().getSimpleName(), x.getMessage());
    }
  }

  @Override
  public void close() throws Exception {
    if (thread != null) {
      thread.shutdownNow();
      thread.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (readStates != null) {
      for (ReadState s : readStates.values()) {
        if (s.progress != null) {
          try {
            s.progress.close();
          } catch (RuntimeException e) {
            // closing at shutdown: nothing to keep
          }
        }
      }
    }
    if (catalog instanceof AutoCloseable) {
      ((AutoCloseable) catalog).close();
    }
  }

  /** One table: its watch and its metrics. */
  private static final class TableState {
    private final CommitWatch watch;
    private final Counter rows;
    private final Counter commits;
    private volatile long lastCommitMillis = -1;
    private Table table;

    TableState(MetricGroup group, String jobId) {
      watch = new CommitWatch(jobId);
      rows = group.counter(JobMetrics.ROWS_COMMITTED);
      commits = group.counter(JobMetrics.COMMITS);
      group.gauge(JobMetrics.LAST_COMMIT_AGE_SECONDS, (Gauge<Double>) () -> lastCommitMillis < 0 ? Double.NaN
          : Math.max(0, System.currentTimeMillis() - lastCommitMillis) / 1000.0);
    }

    void update() {
      long rowsBefore = watch.rowsCommitted();
      long commitsBefore = watch.commits();
      watch.update(table);
      rows.inc(watch.rowsCommitted() - rowsBefore);
      commits.inc(watch.commits() - commitsBefore);
      watch.lastCommitMillis().ifPresent(t -> lastCommitMillis = t);
    }
  }

  /** One source: where its group stands. */
  private static final class ReadState {
    private KafkaProgress progress;
    private volatile KafkaProgress.Position position;
    private volatile long measuredAt = -1;
    private volatile long lagRecords = -1;

    void measured(KafkaProgress.Position p, long at) {
      position = p;
      measuredAt = at;
      lagRecords = p.lagRecords();
    }

    /**
     * From the last look; when looks fail, at least the time since the last one that did not (what was true then
     * may have changed since). NaN before the first.
     */
    double behindSeconds(long now) {
      KafkaProgress.Position p = position;
      if (p == null) {
        return Double.NaN;
      }
      double behind = p.behindSeconds(now);
      long sinceLook = now - measuredAt;
      return sinceLook > 2 * INTERVAL.toMillis() ? Math.max(behind, sinceLook / 1000.0) : behind;
    }
  }

  /** A Kafka source of the job: its topic and group, the entries reading it and their tables. */
  public static final class Read implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String topic;
    private final String groupId;
    private final List<String> pipelines;
    private final List<String> tables;
    private final Map<String, String> clientProperties;

    public Read(String topic, String groupId, List<String> pipelines, List<String> tables,
        Map<String, String> clientProperties) {
      this.topic = topic;
      this.groupId = groupId;
      this.pipelines = List.copyOf(pipelines);
      this.tables = List.copyOf(tables);
      this.clientProperties = new LinkedHashMap<>(clientProperties);
    }

    public String topic() {
      return topic;
    }

    public List<String> pipelines() {
      return pipelines;
    }

    public List<String> tables() {
      return tables;
    }

    @Override
    public String toString() {
      return "Read{topic=" + topic + ", group=" + groupId + ", pipelines=" + pipelines + "}"; // no client secrets
    }
  }

  /** What {@code --validate} prints of the job's metrics (never the reads' client properties). */
  public static String describe(List<Read> reads) {
    StringBuilder s = new StringBuilder("-- metrics (group " + JobMetrics.GROUP + ", docs/operations.md): per table "
        + String.join(", ", JobMetrics.FRESHNESS_SECONDS, JobMetrics.LAST_COMMIT_AGE_SECONDS, JobMetrics.ROWS_COMMITTED,
            JobMetrics.COMMITS) + "; per pipeline " + String.join(", ", JobMetrics.RECORDS_READ,
            JobMetrics.MALFORMED_RECORDS, JobMetrics.LATE_RECORDS, JobMetrics.KAFKA_LAG_RECORDS) + "\n");
    reads.forEach(r -> s.append("--   freshness of ").append(String.join(", ", r.tables)).append(": Kafka topic ")
        .append(r.topic).append(", group ").append(r.groupId).append("'s committed offsets\n"));
    return s.toString();
  }
}
