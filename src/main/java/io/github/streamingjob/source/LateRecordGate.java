package io.github.streamingjob.source;

import java.util.Objects;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import io.github.streamingjob.metrics.JobMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.data.utils.JoinedRowData;
import org.apache.flink.util.OutputTag;

/**
 * Sends a pipeline's records that are late (their event time at or behind the watermark) to a side output instead of
 * its query, so that no event-time operator of the query ever drops one: a window drops only records behind its own
 * watermark, and that is never ahead of the gate's. The gate sits behind an exchange from every reader of the topic,
 * so it sees the watermark the query's operators see: the minimum over the readers, idle ones left out. A reader
 * coming back from idleness with old records finds them judged against the others' watermark, as the window would.
 *
 * <p>It keeps that watermark in its state, as Flink's window operators keep theirs: after a restore the window knows
 * how far it got before any new watermark arrives, and so must the gate. A late record leaves with the watermark it
 * missed appended (epoch milliseconds).
 */
public final class LateRecordGate extends AbstractStreamOperator<RowData>
    implements OneInputStreamOperator<RowData, RowData> {
  private static final long serialVersionUID = 1L;

  private final OutputTag<RowData> late;
  private final int eventTime;
  private final int precision;
  private transient ListState<Long> savedWatermarks;
  private transient long watermark;
  private final String pipeline;
  private transient Counter lateRecords;
  private transient Counter lateRecordsOfPipeline;

  /**
   * @param late the side output the late records go to
   * @param eventTime the position of the event-time column (a TIMESTAMP_LTZ or TIMESTAMP) in the rows
   * @param pipeline the entry whose records it judges, for its metric
   */
  public LateRecordGate(OutputTag<RowData> late, int eventTime, int precision, String pipeline) {
    this.late = Objects.requireNonNull(late);
    this.pipeline = Objects.requireNonNull(pipeline);
    this.eventTime = eventTime;
    this.precision = precision;
  }

  /** The side output of a gate: the record's columns, then the watermark it missed. */
  public static OutputTag<RowData> lateOutput(String pipeline, TypeInformation<RowData> type) {
    return new OutputTag<>("late records of " + pipeline, type);
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    // Union: after a rescale every gate gets every saved watermark and takes the lowest, which no downstream
    // operator's restored watermark exceeds.
    savedWatermarks = context.getOperatorStateStore()
        .getUnionListState(new ListStateDescriptor<>("watermark", LongSerializer.INSTANCE));
    watermark = Long.MIN_VALUE;
    long lowest = Long.MAX_VALUE;
    boolean any = false;
    for (Long w : savedWatermarks.get()) {
      lowest = Math.min(lowest, w);
      any = true;
    }
    if (any) {
      watermark = lowest;
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    lateRecords = getMetricGroup().counter("numLateRecordsKept");
    lateRecordsOfPipeline = JobMetrics.pipeline(getMetricGroup(), pipeline).counter(JobMetrics.LATE_RECORDS);
  }

  @Override
  public void processElement(StreamRecord<RowData> element) throws Exception {
    RowData row = element.getValue();
    if (watermark != Long.MIN_VALUE && !row.isNullAt(eventTime)) {
      TimestampData time = row.getTimestamp(eventTime, precision);
      if (time.getMillisecond() <= watermark) {
        lateRecords.inc();
        lateRecordsOfPipeline.inc();
        output.collect(late, new StreamRecord<>(new JoinedRowData(row, GenericRowData.of(
            TimestampData.fromEpochMillis(watermark)))));
        return;
      }
    }
    output.collect(element);
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    watermark = Math.max(watermark, mark.getTimestamp());
    super.processWatermark(mark);
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    savedWatermarks.clear();
    if (watermark != Long.MIN_VALUE) {
      savedWatermarks.add(watermark);
    }
  }
}
