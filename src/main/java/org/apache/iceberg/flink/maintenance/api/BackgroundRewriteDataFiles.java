package org.apache.iceberg.flink.maintenance.api;

import io.github.streamingjob.maintenance.BackgroundProcessOperator;
import io.github.streamingjob.maintenance.RewriteOperators;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.iceberg.actions.BinPackRewriteFilePlanner;
import org.apache.iceberg.actions.SizeBasedFileRewritePlanner;
import org.apache.iceberg.flink.maintenance.operator.DataFileRewritePlanner;
import org.apache.iceberg.flink.maintenance.operator.DataFileRewriteRunner;
import org.apache.iceberg.flink.maintenance.operator.TaskResultAggregator;

/**
 * Iceberg's data file compaction ({@link RewriteDataFiles}) with its rewrite run by a
 * {@link BackgroundProcessOperator}, so that a checkpoint, and every table's commit with it, need not wait for a
 * file group to be rewritten. Iceberg's own operators otherwise, under Iceberg's operator names and uids, so a
 * savepoint taken with either restores with the other.
 *
 * <p>It sits in Iceberg's package because a maintenance task's wiring ({@code append}) is package-private there.
 */
public final class BackgroundRewriteDataFiles extends MaintenanceTaskBuilder<BackgroundRewriteDataFiles> {
  private final Map<String, String> options = new HashMap<>();

  public static BackgroundRewriteDataFiles builder() {
    return new BackgroundRewriteDataFiles();
  }

  private BackgroundRewriteDataFiles() {}

  /** As {@link RewriteDataFiles.Builder#targetFileSizeBytes}. */
  public BackgroundRewriteDataFiles targetFileSizeBytes(long bytes) {
    options.put(SizeBasedFileRewritePlanner.TARGET_FILE_SIZE_BYTES, String.valueOf(bytes));
    return this;
  }

  /** As {@link RewriteDataFiles.Builder#minInputFiles}. */
  public BackgroundRewriteDataFiles minInputFiles(int files) {
    options.put(SizeBasedFileRewritePlanner.MIN_INPUT_FILES, String.valueOf(files));
    return this;
  }

  /** As {@link RewriteDataFiles.Builder#deleteFileThreshold}. */
  public BackgroundRewriteDataFiles deleteFileThreshold(int files) {
    options.put(BinPackRewriteFilePlanner.DELETE_FILE_THRESHOLD, String.valueOf(files));
    return this;
  }

  @Override
  String maintenanceTaskName() {
    return "RewriteDataFiles";
  }

  @Override
  DataStream<TaskResult> append(DataStream<Trigger> trigger) {
    // Without partial progress, as Iceberg's default: one commit per compaction.
    SingleOutputStreamOperator<DataFileRewritePlanner.PlannedGroup> planned = inGroup(trigger
        .process(RewriteOperators.planner(tableName(), taskName(), index(), tableLoader(), new HashMap<>(options)))
        .name(operatorName(RewriteDataFiles.PLANNER_TASK_NAME))
        .uid(RewriteDataFiles.PLANNER_TASK_NAME + uidSuffix())
        .forceNonParallel());
    SingleOutputStreamOperator<DataFileRewriteRunner.ExecutedGroup> rewritten = inGroup(planned
        .rebalance()
        .transform(operatorName(RewriteDataFiles.REWRITE_TASK_NAME),
            TypeInformation.of(DataFileRewriteRunner.ExecutedGroup.class),
            new BackgroundProcessOperator<>(new DataFileRewriteRunner(tableName(), taskName(), index())))
        .uid(RewriteDataFiles.REWRITE_TASK_NAME + uidSuffix())
        .setParallelism(parallelism()));
    SingleOutputStreamOperator<Trigger> committed = inGroup(rewritten
        .transform(operatorName(RewriteDataFiles.COMMIT_TASK_NAME), TypeInformation.of(Trigger.class),
            RewriteOperators.committer(tableName(), taskName(), index(), tableLoader()))
        .uid(RewriteDataFiles.COMMIT_TASK_NAME + uidSuffix())
        .forceNonParallel());
    return inGroup(trigger
        .union(committed)
        .connect(planned.getSideOutput(TaskResultAggregator.ERROR_STREAM).union(
            rewritten.getSideOutput(TaskResultAggregator.ERROR_STREAM),
            committed.getSideOutput(TaskResultAggregator.ERROR_STREAM)))
        .transform(operatorName(RewriteDataFiles.AGGREGATOR_TASK_NAME), TypeInformation.of(TaskResult.class),
            new TaskResultAggregator(tableName(), taskName(), index()))
        .uid(RewriteDataFiles.AGGREGATOR_TASK_NAME + uidSuffix())
        .forceNonParallel());
  }

  private <T> SingleOutputStreamOperator<T> inGroup(SingleOutputStreamOperator<T> operator) {
    return slotSharingGroup() == null ? operator : operator.slotSharingGroup(slotSharingGroup());
  }
}
