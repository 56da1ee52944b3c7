package io.github.streamingjob.metrics;

import org.apache.flink.metrics.MetricGroup;

/**
 * The job's own metrics: named by table and by pipeline, under the group Managed Flink forwards to CloudWatch.
 * Counters and gauges only (CloudWatch drops histograms). docs/operations.md lists them with what to alarm on.
 */
public final class JobMetrics {
  /** Managed Flink sends the metrics of this group to CloudWatch; its examples spell it in lower case. */
  public static final String GROUP = "kinesisanalytics";
  /** User variables: CloudWatch dimensions on Managed Flink, labels in Prometheus. */
  public static final String TABLE = "Table";
  public static final String PIPELINE = "Pipeline";

  // Per pipeline
  /** Kafka records its source decoded (well-formed and malformed). */
  public static final String RECORDS_READ = "recordsRead";
  /** Records that could not be decoded: dead-lettered, or skipped with {@code on_error: skip}. */
  public static final String MALFORMED_RECORDS = "malformedRecords";
  /** Records at or behind the watermark, kept in the late-records table. */
  public static final String LATE_RECORDS = "lateRecords";
  /** Records of its topic that no completed checkpoint has taken in (end offsets minus the group's committed). */
  public static final String KAFKA_LAG_RECORDS = "kafkaLagRecords";

  // Per table
  /**
   * How far behind the table is: the age (by its Kafka timestamp) of the oldest record of the table's source that no
   * completed checkpoint has taken in; 0 when every record produced is in. The table holds every record older.
   */
  public static final String FRESHNESS_SECONDS = "freshnessSeconds";
  /** Seconds since the last commit that added or changed rows (compaction's commits do not count). */
  public static final String LAST_COMMIT_AGE_SECONDS = "lastCommitAgeSeconds";
  /** Rows added by this job's commits (counted from the table's snapshots: restarts do not reset it). */
  public static final String ROWS_COMMITTED = "rowsCommitted";
  /** This job's commits that added or changed rows. */
  public static final String COMMITS = "commits";

  /** Set (to true) only to measure what the metrics cost: the job then reports none of its own. */
  public static final String OFF_PROPERTY = "streamingjob.benchmark.without-job-metrics";

  private JobMetrics() {}

  /** Whether the job reports its own metrics (always, but in a benchmark's comparison run). */
  public static boolean enabled() {
    return !Boolean.getBoolean(OFF_PROPERTY);
  }

  /** A pipeline's metrics: {@code kinesisanalytics} / {@code Pipeline=<entry>}. */
  public static MetricGroup pipeline(MetricGroup operator, String pipeline) {
    return operator.addGroup(GROUP).addGroup(PIPELINE, pipeline);
  }

  /** A table's metrics: {@code kinesisanalytics} / {@code Table=<table>}. */
  public static MetricGroup table(MetricGroup operator, String table) {
    return operator.addGroup(GROUP).addGroup(TABLE, table);
  }
}
