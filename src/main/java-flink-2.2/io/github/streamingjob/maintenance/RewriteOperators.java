package io.github.streamingjob.maintenance;

import java.util.Map;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.maintenance.operator.DataFileRewriteCommitter;
import org.apache.iceberg.flink.maintenance.operator.DataFileRewritePlanner;

/** Iceberg's compaction planner and committer, whose constructors differ between the Iceberg of each Flink line. */
public final class RewriteOperators {
  private RewriteOperators() {}

  /** Plans the whole table, in one commit (no partial progress), with no limit on the bytes rewritten. */
  public static DataFileRewritePlanner planner(String table, String task, int index, TableLoader loader,
      Map<String, String> options) {
    return new DataFileRewritePlanner(table, task, index, loader, 1, Long.MAX_VALUE, options,
        Expressions::alwaysTrue, SnapshotRef.MAIN_BRANCH);
  }

  public static DataFileRewriteCommitter committer(String table, String task, int index, TableLoader loader) {
    return new DataFileRewriteCommitter(table, task, index, loader, SnapshotRef.MAIN_BRANCH);
  }
}
