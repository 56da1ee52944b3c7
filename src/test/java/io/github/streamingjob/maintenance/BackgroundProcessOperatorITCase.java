package io.github.streamingjob.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operator that runs Iceberg's rewrite: checkpoints complete while an element is at work, and its output, side
 * output and the watermarks behind it arrive in order, none of them lost at the end of the input.
 */
class BackgroundProcessOperatorITCase {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final OutputTag<String> SIDE = new OutputTag<>("side", Types.STRING);
  /** Completed checkpoints, as the recorder is told of them; the tests share one JVM with the MiniCluster. */
  static final AtomicInteger CHECKPOINTS = new AtomicInteger();
  /** What reached the end of the job, in order: "out v ts", "side v ts" and "watermark ts". */
  static final List<String> RECEIVED = new CopyOnWriteArrayList<>();
  /** Elements that arrived at or behind a watermark already received. */
  static final List<String> LATE = new CopyOnWriteArrayList<>();

  @BeforeEach
  void reset() {
    CHECKPOINTS.set(0);
    RECEIVED.clear();
    LATE.clear();
  }

  @Test
  void checkpointsCompleteWhileAnElementIsAtWorkAndWatermarksWaitBehindIt() throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
    env.enableCheckpointing(100);
    // Twenty events a second, at one second of event time apart; only the first three reach the operator, while
    // the watermarks of the later ones keep coming behind them.
    DataStream<Long> events = env.fromSource(
            new DataGeneratorSource<>(i -> i, Long.MAX_VALUE, RateLimiterStrategy.perSecond(20), Types.LONG),
            WatermarkStrategy.<Long>forMonotonousTimestamps().withTimestampAssigner((v, ts) -> v * 1000),
            "events")
        .filter(v -> v < 3);
    JobClient job = record(events.rebalance().transform("at work", Types.STRING,
        new BackgroundProcessOperator<>(new WaitForCheckpoints()))).executeAsync();
    try {
      assertThat(Await.toleratingErrors(TIMEOUT, Duration.ofMillis(50),
          () -> RECEIVED.stream().anyMatch(r -> r.startsWith("watermark") && watermark(r) >= 2999)))
          .as("a watermark past the third element arrived; received %s", RECEIVED).isTrue();
    } finally {
      job.cancel().get();
    }
    // Watermarks up to 2999 came from the source while the elements were at work: none may overtake them.
    assertThat(LATE).as("elements behind a watermark").isEmpty();
    // Each element waited for two checkpoints to complete while it was at work: a barrier held by the work would
    // have let none complete, and the function gives up after the timeout.
    assertThat(received("out")).containsExactly("out 0 checkpoints>=2 ts=0", "out 1 checkpoints>=2 ts=1000",
        "out 2 checkpoints>=2 ts=2000");
    assertThat(received("side")).containsExactly("side 0 ts=0", "side 1 ts=1000", "side 2 ts=2000");
  }

  @Test
  void theWorkUnderWayAtTheEndOfTheInputIsEmittedBeforeTheJobFinishes() throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
    DataStream<Long> events = env.fromSequence(0, 2)
        .assignTimestampsAndWatermarks(WatermarkStrategy.<Long>forMonotonousTimestamps()
            .withTimestampAssigner((v, ts) -> v * 1000));
    record(events.rebalance().transform("at work", Types.STRING, new BackgroundProcessOperator<>(new Slow())))
        .execute();
    assertThat(received("out")).containsExactly("out 0 ts=0", "out 1 ts=1000", "out 2 ts=2000");
    assertThat(received("side")).containsExactly("side 0 ts=0", "side 1 ts=1000", "side 2 ts=2000");
    assertThat(RECEIVED).last().isEqualTo("watermark " + Long.MAX_VALUE);
    assertThat(LATE).isEmpty();
  }

  private static StreamExecutionEnvironment record(SingleOutputStreamOperator<String> worked) {
    worked.union(worked.getSideOutput(SIDE)).transform("recorder", Types.STRING, new Recorder()).setParallelism(1);
    return worked.getExecutionEnvironment();
  }

  /** In order of arrival; the main and the side output travel apart, so their order is checked apart. */
  private static List<String> received(String kind) {
    return RECEIVED.stream().filter(r -> r.startsWith(kind + " ")).collect(Collectors.toList());
  }

  private static long watermark(String received) {
    return Long.parseLong(received.substring("watermark ".length()));
  }

  /** Waits until two checkpoints have completed (or the timeout has passed), then says whether they did. */
  static final class WaitForCheckpoints extends ProcessFunction<Long, String> {
    @Override
    public void processElement(Long value, Context ctx, Collector<String> out) throws InterruptedException {
      int before = CHECKPOINTS.get();
      boolean completed = Await.toleratingErrors(TIMEOUT, Duration.ofMillis(10), () -> CHECKPOINTS.get() >= before + 2);
      out.collect("out " + value + " checkpoints" + (completed ? ">=2" : "<2") + " ts=" + ctx.timestamp());
      ctx.output(SIDE, "side " + value + " ts=" + ctx.timestamp());
    }
  }

  /** Takes long enough that the input ends while it works. */
  static final class Slow extends ProcessFunction<Long, String> {
    @Override
    public void processElement(Long value, Context ctx, Collector<String> out) throws InterruptedException {
      Thread.sleep(300);
      out.collect("out " + value + " ts=" + ctx.timestamp());
      ctx.output(SIDE, "side " + value + " ts=" + ctx.timestamp());
    }
  }

  /** Records what arrives, flags an element that arrives behind a watermark, and counts completed checkpoints. */
  static final class Recorder extends AbstractStreamOperator<String> implements OneInputStreamOperator<String, String> {
    private long watermark = Long.MIN_VALUE;

    @Override
    public void processElement(StreamRecord<String> element) {
      RECEIVED.add(element.getValue());
      if (element.getTimestamp() <= watermark) {
        LATE.add(element.getValue() + " behind watermark " + watermark);
      }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
      watermark = mark.getTimestamp();
      RECEIVED.add("watermark " + mark.getTimestamp());
      super.processWatermark(mark);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
      CHECKPOINTS.incrementAndGet();
      super.notifyCheckpointComplete(checkpointId);
    }
  }
}
