package io.github.streamingjob.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting on real processes: a condition polled until it holds or a deadline passes. */
public final class Await {
  private Await() {}

  /**
   * Polls {@code done} every {@code every} until it holds (true) or {@code timeout} has passed (false). An
   * exception from {@code done} counts as "not yet": a table being committed to, a job being deployed, a store
   * coming back.
   */
  public static boolean toleratingErrors(Duration timeout, Duration every, BooleanSupplier done)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (done.getAsBoolean()) {
          return true;
        }
      } catch (RuntimeException e) {
        // not yet
      }
      Thread.sleep(every.toMillis());
    }
    return false;
  }
}
