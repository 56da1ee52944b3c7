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
    // The child logs to stderr, into the log file; stdout carries only its RESULT line, so log lines
    // written by other threads cannot split it.
    Path log = warehouse.resolveSibling(warehouse.getFileName() + ".log");
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx2g", "-cp", classpath, "io.github.streamingjob.benchmark.KafkaConnectIcebergRun", bootstrap, topic,
        Integer.toString(events), warehouse.toString(), Integer.toString(tasks), "1000"))
        .redirectError(ProcessBuilder.Redirect.to(log.toFile())).start();
    String result = null;
    StringBuilder stdout = new StringBuilder();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        java.util.regex.Matcher m = RESULT.matcher(line);
        if (m.find()) {
          result = m.group();
        } else {
          stdout.append(line).append('\n');
        }
      }
    }
    p.waitFor(10, TimeUnit.MINUTES);
    if (result == null) {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      throw new IllegalStateException("the Kafka Connect baseline printed no RESULT (its log: " + log + "); stdout:\n"
          + stdout + "last log lines:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
    }
    return result.split(" ");
  }
}
