package io.github.streamingjob.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BackgroundTest {
  @Test
  void tasksSeeTheCallersContextClassLoader() {
    ClassLoader userCode = new URLClassLoader(new URL[0], getClass().getClassLoader());
    ClassLoader before = Thread.currentThread().getContextClassLoader();
    Thread.currentThread().setContextClassLoader(userCode);
    try {
      assertThat(Background.join(Background.supply("t", () -> Thread.currentThread().getContextClassLoader())))
          .isSameAs(userCode);
    } finally {
      Thread.currentThread().setContextClassLoader(before);
    }
  }

  @Test
  void joinRethrowsTheTasksOwnException() {
    IllegalStateException boom = new IllegalStateException("table exists with another schema");
    assertThatThrownBy(() -> Background.join(Background.supply("t", () -> {
      throw boom;
    }))).isSameAs(boom);
  }

  @Test
  void runAllRunsEveryTaskConcurrentlyAndWaits() {
    int n = 4;
    CountDownLatch allStarted = new CountDownLatch(n);
    List<String> done = Collections.synchronizedList(new ArrayList<>());
    List<Runnable> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = "t" + i;
      tasks.add(() -> {
        allStarted.countDown();
        try {
          // Only returns true if all tasks run at the same time.
          assertThat(allStarted.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        done.add(name);
      });
    }
    Background.runAll("t", tasks);
    assertThat(done).containsExactlyInAnyOrder("t0", "t1", "t2", "t3");
  }

  @Test
  void runAllReportsAFailure() {
    List<Runnable> tasks = List.of(() -> { }, () -> {
      throw new IllegalArgumentException("cannot create table t");
    });
    assertThatThrownBy(() -> Background.runAll("t", tasks)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cannot create table t");
  }
}
