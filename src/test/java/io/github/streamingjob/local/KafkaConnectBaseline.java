package io.github.streamingjob.local;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs benchmark (d), Apache Iceberg's Kafka Connect sink, from {@code benchmarks/kafka-connect} in a
 * JVM of its own: its iceberg-core (unshaded dependencies) cannot share a class path with
 * iceberg-flink-runtime. The child times itself from connector start to the last row committed.
 */
final class KafkaConnectBaseline {
  static final Path PROJECT = Path.of("benchmarks", "kafka-connect");
  /** The child's own log lines share the stream and may run into this line. */
  private static final java.util.regex.Pattern RESULT =
      java.util.regex.Pattern.compile("RESULT [0-9.]+ [0-9]+ [0-9]+ [0-9]+");

  private KafkaConnectBaseline() {}

  /** Compiles the baseline and returns its class path (Maven resolves its dependencies once). */
  static String classpath() throws Exception {
    Path cpFile = PROJECT.resolve("target").resolve("classpath.txt").toAbsolutePath();
    String mvn = System.getProperty("os.name").toLowerCase().contains("win") ? "mvn.cmd" : "mvn";
    Process p = new ProcessBuilder(mvn, "-q", "-B", "-f", PROJECT.resolve("pom.xml").toString(), "compile",
        "dependency:build-classpath", "-Dmdep.outputFile=" + cpFile).inheritIO().start();
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("building " + PROJECT + " failed; run with --kafka-connect false to skip (d)");
    }
    return PROJECT.resolve("target").resolve("classes").toAbsolutePath() + java.io.File.pathSeparator
        + Files.readString(cpFile).trim();
  }

  /** The child's {@code RESULT seconds rows files snapshots} line, split. */
  static String[] run(String classpath, String bootstrap, String topic, int events, Path warehouse, int tasks)
      throws Exception {
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx2g", "-cp", classpath, "io.github.streamingjob.benchmark.KafkaConnectIcebergRun", bootstrap, topic,
        Integer.toString(events), warehouse.toString(), Integer.toString(tasks), "1000"))
        .redirectErrorStream(true).start();
    String result = null;
    StringBuilder tail = new StringBuilder();
    Path log = warehouse.resolveSibling(warehouse.getFileName() + ".log");
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        java.io.Writer logFile = Files.newBufferedWriter(log)) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        logFile.write(System.currentTimeMillis() + " " + line + "\n");
        java.util.regex.Matcher m = RESULT.matcher(line);
        if (m.find()) {
          result = m.group();
        } else {
          tail.append(line).append('\n');
          if (tail.length() > 20_000) {
            tail.delete(0, tail.length() - 10_000);
          }
        }
      }
    }
    p.waitFor(10, TimeUnit.MINUTES);
    if (result == null) {
      throw new IllegalStateException("the Kafka Connect baseline printed no RESULT (full output in " + log
          + "); its last output:\n" + tail);
    }
    return result.split(" ");
  }
}
