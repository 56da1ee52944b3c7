package io.github.streamingjob.testing.standin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A JVM a test starts as a process of its own, as a server runs in production: its own class path, its
 * output in a log file, stopped gracefully or killed ({@link #kill()} is {@code destroyForcibly}: SIGKILL,
 * no shutdown hook runs). Processes still alive when the test JVM exits are killed with it.
 */
public final class ChildJvm implements AutoCloseable {
  private static final Set<Process> ALIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> ALIVE.forEach(Process::destroyForcibly), "child-jvm-reaper"));
  }

  private final String name;
  private final Process process;
  private final Path output;

  private ChildJvm(String name, Process process, Path output) {
    this.name = name;
    this.process = process;
    this.output = output;
  }

  /** Starts {@code java [jvmArgs] -cp classpath mainClass [args]}; stdout and stderr go to {@code output}. */
  public static ChildJvm start(String name, List<String> jvmArgs, String classpath, String mainClass, List<String> args,
      Map<String, String> env, Path output) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
    builder.environment().putAll(env);
    try {
      Files.createDirectories(output.getParent());
      Process process = builder.start();
      ALIVE.add(process);
      return new ChildJvm(name, process, output);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  /** Where the process's stdout and stderr go. */
  public Path output() {
    return output;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, as a crashed machine or the OOM killer would end it; returns once the process is gone. */
  public void kill() {
    process.destroyForcibly();
    awaitExit(30);
  }

  /** SIGTERM, then SIGKILL if it has not exited within 20 seconds. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      if (!awaitExit(20)) {
        kill();
      }
    }
    ALIVE.remove(process);
  }

  /** Waits for a process that ends by itself (a tool, not a server); its exit code, or -1 past the timeout. */
  public int exitCode(Duration timeout) {
    return awaitExit((int) Math.max(1, timeout.toSeconds())) ? process.exitValue() : -1;
  }

  private boolean awaitExit(int seconds) {
    try {
      boolean exited = process.waitFor(seconds, TimeUnit.SECONDS);
      if (exited) {
        ALIVE.remove(process);
      }
      return exited;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Returns once {@code request} is answered 200: a server is up when it serves, not when its port opens. Fails
   * with {@code what} and the process's last output if it exits or the deadline passes.
   */
  public void awaitAnswer(String what, HttpRequest request, Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!isAlive()) {
        throw new IllegalStateException(what + " exited:\n" + tail(40));
      }
      try {
        if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      FlinkSessionCluster.sleep(100);
    }
    throw new IllegalStateException(what + " did not answer within " + timeout + ":\n" + tail(40));
  }

  /** The last {@code lines} lines of its output, for failure messages. */
  public String tail(int lines) {
    return tail(output, lines);
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = List.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n"));
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + pid() + ", output " + output + ")";
  }
}
