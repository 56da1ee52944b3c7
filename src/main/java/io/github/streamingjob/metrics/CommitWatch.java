package io.github.streamingjob.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.iceberg.DataOperations;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotSummary;
import org.apache.iceberg.Table;

/**
 * A table's commits as its snapshots tell them: the rows and commits this Flink job added (Iceberg's Flink committer
 * files its job's id in each snapshot's summary), and the time of the last commit that added or changed rows.
 * Compaction's commits ({@code replace}) rewrite rows without adding any, and the committer's empty commits add none,
 * so they count for neither. Counted from the
 * snapshots, the totals survive the job's restarts and failovers: the watch, restarted with the job, counts the job's
 * earlier commits again at its first look.
 */
public final class CommitWatch {
  /** Iceberg's Flink committer's summary key for the job that made the snapshot. */
  static final String FLINK_JOB_ID = "flink.job-id";
  /** How far back a look walks (the last one seen may be gone: a rollback, or a table created anew). */
  private static final int MAX_WALK = 10_000;

  private final String jobId;
  private Long lastSeenSnapshot;
  private boolean started;
  private long rows;
  private long commits;
  private OptionalLong lastCommitMillis = OptionalLong.empty();

  /** @param jobId the Flink job whose commits are counted */
  public CommitWatch(String jobId) {
    this.jobId = jobId;
  }

  /** Reads the snapshots committed since the last call (the caller refreshes the table). */
  public void update(Table table) {
    Snapshot current = table.currentSnapshot();
    List<Snapshot> added = new ArrayList<>();
    int walked = 0;
    for (Snapshot s = current; s != null && walked++ < MAX_WALK
        && (lastSeenSnapshot == null || s.snapshotId() != lastSeenSnapshot);
        s = s.parentId() == null ? null : table.snapshot(s.parentId())) {
      if (!changesRows(s)) {
        continue;
      }
      boolean ours = jobId.equals(s.summary().get(FLINK_JOB_ID));
      if (!started && !ours) {
        if (lastCommitMillis.isEmpty()) {
          lastCommitMillis = OptionalLong.of(s.timestampMillis());
        }
        break; // the first look counts back to the first commit of another job
      }
      added.add(s);
    }
    for (Snapshot s : added) {
      if (jobId.equals(s.summary().get(FLINK_JOB_ID))) {
        rows += count(s.summary(), SnapshotSummary.ADDED_RECORDS_PROP);
        commits++;
      }
      if (lastCommitMillis.isEmpty() || s.timestampMillis() > lastCommitMillis.getAsLong()) {
        lastCommitMillis = OptionalLong.of(s.timestampMillis());
      }
    }
    lastSeenSnapshot = current == null ? null : current.snapshotId();
    started = true;
  }

  /**
   * Whether the snapshot added or removed rows: not compaction's ({@code replace}), nor the empty commits Iceberg's
   * Flink committer makes now and then to record a checkpoint with no data.
   */
  static boolean changesRows(Snapshot s) {
    if (DataOperations.REPLACE.equals(s.operation())) {
      return false;
    }
    Map<String, String> summary = s.summary();
    return count(summary, SnapshotSummary.ADDED_RECORDS_PROP) > 0
        || count(summary, SnapshotSummary.ADDED_DELETE_FILES_PROP) > 0
        || count(summary, SnapshotSummary.DELETED_RECORDS_PROP) > 0;
  }

  private static long count(Map<String, String> summary, String key) {
    String v = summary.get(key);
    try {
      return v == null ? 0 : Long.parseLong(v);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Rows added by the job's commits. */
  public long rowsCommitted() {
    return rows;
  }

  /** The job's commits that added or changed rows. */
  public long commits() {
    return commits;
  }

  /** The last commit that added or changed rows (any job's), if one was found. */
  public OptionalLong lastCommitMillis() {
    return lastCommitMillis;
  }
}
