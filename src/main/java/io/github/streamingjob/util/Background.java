package io.github.streamingjob.util;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Start-up work on daemon threads that keep the caller's context class loader: on a Flink cluster
 * that is the user-code loader, through which catalogs and Hadoop load classes.
 */
public final class Background {
  private Background() {}

  public static <T> CompletableFuture<T> supply(String name, Supplier<T> task) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        result.complete(task.get());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    }, name);
    t.setDaemon(true);
    t.setContextClassLoader(loader);
    t.start();
    return result;
  }

  /** Runs the tasks at once, each on its own thread, and returns when all are done. */
  public static void runAll(String name, List<Runnable> tasks) {
    if (tasks.size() <= 1) {
      tasks.forEach(Runnable::run);
      return;
    }
    CompletableFuture<?>[] running = tasks.stream()
        .map(task -> supply(name, () -> {
          task.run();
          return null;
        }))
        .toArray(CompletableFuture<?>[]::new);
    join(CompletableFuture.allOf(running));
  }

  /** The result, or the task's own exception (not wrapped in a CompletionException). */
  public static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw e;
    }
  }
}
