package io.github.streamingjob.maintenance;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.api.common.functions.util.FunctionUtils;
import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Runs a {@link ProcessFunction} on a worker thread, one element at a time, and emits its output, and the
 * watermarks that came after each element, in their order on the task's thread. A checkpoint barrier passes while
 * an element is at work.
 *
 * <p>Iceberg's data file rewrite reads and writes a whole file group inside one call. Run in place, it held the
 * barrier, and with it the checkpoint, so every table's streaming commit waited for the rewrite (docs/benchmarks.md,
 * freshness with maintenance).
 *
 * <p>An element still at work is not in the checkpoint: a job restored from there has lost that work, as it would
 * after a crash during the call. That is what Iceberg's maintenance expects. It keeps nothing of a rewrite in
 * flight; on restore its trigger manager fires a recovery trigger that releases the lock, and the files the lost
 * rewrite wrote were never committed, so orphan cleanup removes them.
 *
 * <p>It keeps each element until its work is done, so the element must not be an object its producer reuses (the
 * job turns object reuse on). Fed over the network, as Iceberg's rebalance does, each element is a new object.
 */
public final class BackgroundProcessOperator<IN, OUT> extends AbstractStreamOperator<OUT>
    implements OneInputStreamOperator<IN, OUT> {
  private static final long serialVersionUID = 1L;

  private final ProcessFunction<IN, OUT> function;
  private transient ExecutorService worker;
  private transient MailboxExecutor mailbox;
  /** Elements in order of arrival, each with the watermarks held behind it; touched by the task thread only. */
  private transient ArrayDeque<Work> queue;

  public BackgroundProcessOperator(ProcessFunction<IN, OUT> function) {
    this.function = function;
  }

  @Override
  public void open() throws Exception {
    super.open();
    FunctionUtils.setFunctionRuntimeContext(function, getRuntimeContext());
    FunctionUtils.openFunction(function, DefaultOpenContext.INSTANCE);
    mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(getOperatorConfig().getChainIndex());
    queue = new ArrayDeque<>();
    String name = getOperatorName() + " worker " + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void processElement(StreamRecord<IN> element) throws Exception {
    Work work = new Work(element.hasTimestamp() ? element.getTimestamp() : null);
    queue.add(work);
    IN value = element.getValue();
    worker.execute(() -> {
      try {
        function.processElement(value, work.context(), new ListCollector<>(work.out));
      } catch (Throwable t) {
        work.failure = t;
      }
      work.done = true;
      try {
        mailbox.execute(this::emitDone, "emit the output of %s", getOperatorName());
      } catch (RejectedExecutionException closed) {
        // The task is gone (cancelled or failed over): the output is lost with it, as documented above.
      }
    });
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    if (queue.isEmpty()) {
      super.processWatermark(mark);
    } else {
      // Downstream, a watermark says that everything before it has arrived; Iceberg's rewrite committer commits on
      // it. So it waits for the elements ahead of it.
      queue.peekLast().heldWatermarks.add(mark);
    }
  }

  @Override
  public void finish() throws Exception {
    // End of input (a drained stop, a bounded run): the work under way is part of the output.
    while (!queue.isEmpty()) {
      mailbox.yield();
    }
    super.finish();
  }

  @Override
  public void close() throws Exception {
    if (worker != null) {
      // Not waited for: Flink's cancellation watchdog would kill the TaskManager over a rewrite that ignores the
      // interrupt. Whatever it writes from here on is never committed.
      worker.shutdownNow();
    }
    try {
      FunctionUtils.closeFunction(function);
    } finally {
      super.close();
    }
  }

  private void emitDone() throws Exception {
    while (!queue.isEmpty() && queue.peek().done) {
      Work work = queue.poll();
      if (work.failure != null) {
        throw new IllegalStateException(getOperatorName() + " failed", work.failure);
      }
      for (OUT out : work.out) {
        output.collect(work.record(out));
      }
      for (SideOutput<?> side : work.sideOutputs) {
        side.emit(work);
      }
      for (Watermark mark : work.heldWatermarks) {
        super.processWatermark(mark);
      }
    }
  }

  /** One element's work; the worker fills out, sideOutputs and failure, then sets done. */
  private final class Work {
    private final Long timestamp;
    private final List<OUT> out = new ArrayList<>();
    private final List<SideOutput<?>> sideOutputs = new ArrayList<>();
    private final List<Watermark> heldWatermarks = new ArrayList<>(0);
    private volatile Throwable failure;
    private volatile boolean done;

    private Work(Long timestamp) {
      this.timestamp = timestamp;
    }

    private <T> StreamRecord<T> record(T value) {
      return timestamp == null ? new StreamRecord<>(value) : new StreamRecord<>(value, timestamp);
    }

    private ProcessFunction<IN, OUT>.Context context() {
      return function.new Context() {
        @Override
        public Long timestamp() {
          return timestamp;
        }

        @Override
        public TimerService timerService() {
          throw new UnsupportedOperationException("timers are not available to a function run in the background");
        }

        @Override
        public <X> void output(OutputTag<X> tag, X value) {
          sideOutputs.add(new SideOutput<>(tag, value));
        }
      };
    }
  }

  private final class SideOutput<X> {
    private final OutputTag<X> tag;
    private final X value;

    private SideOutput(OutputTag<X> tag, X value) {
      this.tag = tag;
      this.value = value;
    }

    private void emit(Work work) {
      output.collect(tag, work.record(value));
    }
  }
}
