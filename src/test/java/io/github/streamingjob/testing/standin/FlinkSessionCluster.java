package io.github.streamingjob.testing.standin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A Flink standalone session cluster as separate processes, started the way {@code bin/jobmanager.sh} and
 * {@code bin/taskmanager.sh} start one: Flink's own entry points on the class path of a distribution's lib/
 * (src/test/stand-ins/flink-dist), a {@code config.yaml} and {@code log4j.properties} in a conf directory,
 * JVM memory flags computed by Flink's {@code BashJavaUtils} from that configuration. Loopback and free ports
 * only. The configuration is what MSF runs with where it matters to a job: RocksDB with incremental
 * checkpoints, a fixed-delay restart strategy with unlimited attempts (MSF waits 10 s between attempts;
 * here {@link #RESTART_DELAY}, to keep the test short).
 */
public final class FlinkSessionCluster implements AutoCloseable {
  public static final String RESTART_DELAY = "2 s";
  private static final String JOB_MANAGER = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  private static final String TASK_MANAGER = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  /** {@code env.java.opts.all} of the distribution's default config.yaml: what Flink needs on Java 17. */
  private static final List<String> JAVA_17_OPTS = List.of(
      "--add-exports=java.base/sun.net.util=ALL-UNNAMED", "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED",
      "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private final Path home;
  private final String classpath;
  private final int restPort;
  private final String[] taskManagerParams;
  private final ChildJvm jobManager;
  private final List<ChildJvm> taskManagers = new ArrayList<>();
  private final FlinkRestClient rest;

  private FlinkSessionCluster(Path home, String classpath, int restPort, String[] jobManagerParams,
      String[] taskManagerParams) {
    this.home = home;
    this.classpath = classpath;
    this.restPort = restPort;
    this.taskManagerParams = taskManagerParams;
    this.rest = new FlinkRestClient("127.0.0.1", restPort);
    this.jobManager = start("jobmanager", JOB_MANAGER, jobManagerParams);
  }

  /**
   * Writes the configuration under {@code home}, starts a JobManager and one TaskManager with
   * {@code slots} slots, and returns once the TaskManager has registered.
   */
  public static FlinkSessionCluster start(Path home, Path libClasspathFile, int slots, Duration timeout) {
    return start(home, libClasspathFile, slots, timeout, null);
  }

  /**
   * As above, with Flink's Prometheus reporter installed as the distribution installs it (a plugin, in
   * plugins/metrics-prometheus/) when {@code prometheusReporterJar} is given: every process serves its metrics on
   * the first free port of {@link #PROMETHEUS_PORTS} ports from {@link #prometheusPorts()}'s first.
   */
  public static FlinkSessionCluster start(Path home, Path libClasspathFile, int slots, Duration timeout,
      Path prometheusReporterJar) {
    try {
      String classpath = Files.readString(libClasspathFile).trim();
      for (String dir : List.of("conf", "log", "tmp", "checkpoints", "savepoints", "web-upload", "blobs", "plugins")) {
        Files.createDirectories(home.resolve(dir));
      }
      int restPort = freePort();
      String config = configYaml(home, freePort(), restPort, slots);
      int prometheusBase = -1;
      if (prometheusReporterJar != null) {
        Path plugin = Files.createDirectories(home.resolve("plugins/metrics-prometheus"));
        Files.copy(prometheusReporterJar, plugin.resolve(prometheusReporterJar.getFileName()),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        prometheusBase = freePort();
        config += "metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory\n"
            + "metrics.reporter.prom.port: " + prometheusBase + "-" + (prometheusBase + PROMETHEUS_PORTS - 1) + "\n";
      }
      Files.writeString(home.resolve("conf/config.yaml"), config);
      Files.writeString(home.resolve("conf/log4j.properties"), LOG4J);
      String[] jm = bashJavaUtils(classpath, home, "GET_JM_RESOURCE_PARAMS");
      String[] tm = bashJavaUtils(classpath, home, "GET_TM_RESOURCE_PARAMS");
      FlinkSessionCluster cluster = new FlinkSessionCluster(home, classpath, restPort, jm, tm);
      cluster.prometheusBase = prometheusBase;
      try {
        cluster.startTaskManager();
        cluster.awaitTaskManagers(1, timeout);
      } catch (RuntimeException e) {
        cluster.close();
        throw e;
      }
      return cluster;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String configYaml(Path home, int rpcPort, int restPort, int slots) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("jobmanager.rpc.address", "127.0.0.1");
    c.put("jobmanager.rpc.port", rpcPort);
    c.put("jobmanager.bind-host", "127.0.0.1");
    c.put("taskmanager.host", "127.0.0.1");
    c.put("taskmanager.bind-host", "127.0.0.1");
    c.put("rest.address", "127.0.0.1");
    c.put("rest.bind-address", "127.0.0.1");
    c.put("rest.port", restPort);
    c.put("jobmanager.memory.process.size", "1024m");
    c.put("taskmanager.memory.process.size", "1728m");
    c.put("taskmanager.numberOfTaskSlots", slots);
    c.put("state.backend.type", "rocksdb");
    c.put("execution.checkpointing.incremental", true);
    c.put("execution.checkpointing.dir", home.resolve("checkpoints").toUri().toString());
    c.put("execution.checkpointing.savepoint-dir", home.resolve("savepoints").toUri().toString());
    c.put("restart-strategy.type", "fixed-delay");
    c.put("restart-strategy.fixed-delay.attempts", Integer.MAX_VALUE);
    c.put("restart-strategy.fixed-delay.delay", RESTART_DELAY);
    // A killed TaskManager is noticed by failed heartbeat RPCs within seconds; the timeout only covers a
    // hung one, and stays generous for a loaded 2-core machine.
    c.put("heartbeat.interval", 1000);
    // A TaskManager that starts before the JobManager listens retries its registration after this
    // (default 10 s), which made some starts 10 s slower.
    c.put("cluster.registration.error-delay", 1000);
    c.put("heartbeat.timeout", 20000);
    // The REST API's metrics (numRestarts) are refreshed every 10 s by default; a test watches them.
    c.put("metrics.fetcher.update-interval", 1000);
    c.put("io.tmp.dirs", home.resolve("tmp").toString());
    c.put("web.upload.dir", home.resolve("web-upload").toString());
    c.put("web.tmpdir", home.resolve("tmp").toString());
    c.put("blob.storage.directory", home.resolve("blobs").toString());
    return c.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("\n", "", "\n"));
  }

  /** conf/log4j.properties of the distribution: INFO to a file per process. */
  private static final String LOG4J = String.join("\n",
      "rootLogger.level = INFO",
      "rootLogger.appenderRef.file.ref = MainAppender",
      "logger.hadoop.name = org.apache.hadoop",
      "logger.hadoop.level = WARN",
      "appender.main.name = MainAppender",
      "appender.main.type = File",
      "appender.main.append = true",
      "appender.main.fileName = ${sys:log.file}",
      "appender.main.layout.type = PatternLayout",
      "appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
      "");

  /** What the start scripts ask Flink for: JVM memory flags, and dynamic properties, from config.yaml. */
  private static String[] bashJavaUtils(String classpath, Path home, String command) throws IOException {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath,
        "org.apache.flink.runtime.util.bash.BashJavaUtils", command, "--configDir", home.resolve("conf").toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    List<String> results = Arrays.stream(out.split("\n")).filter(l -> l.startsWith("BASH_JAVA_UTILS_EXEC_RESULT:"))
        .map(l -> l.substring("BASH_JAVA_UTILS_EXEC_RESULT:".length()).trim()).collect(Collectors.toList());
    if (results.size() < 2) {
      throw new IllegalStateException("BashJavaUtils " + command + " failed:\n" + out);
    }
    return new String[] {results.get(0), results.get(1)};
  }

  private ChildJvm start(String name, String mainClass, String[] params) {
    List<String> jvm = new ArrayList<>(Arrays.asList(params[0].split(" ")));
    jvm.addAll(JAVA_17_OPTS);
    jvm.add("-Dlog.file=" + home.resolve("log").resolve(name + ".log"));
    jvm.add("-Dlog4j.configurationFile=file:" + home.resolve("conf/log4j.properties"));
    List<String> args = new ArrayList<>(List.of("--configDir", home.resolve("conf").toString()));
    args.addAll(Arrays.asList(params[1].split(" ")));
    return ChildJvm.start(name, jvm, classpath, mainClass, args,
        Map.of("FLINK_CONF_DIR", home.resolve("conf").toString(), "FLINK_PLUGINS_DIR", home.resolve("plugins").toString()),
        home.resolve("log").resolve(name + ".out"));
  }

  /** Starts one more TaskManager process; it registers with the JobManager by itself. */
  public ChildJvm startTaskManager() {
    ChildJvm tm = start("taskmanager-" + (taskManagers.size() + 1), TASK_MANAGER, taskManagerParams);
    taskManagers.add(tm);
    return tm;
  }

  public void awaitTaskManagers(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!jobManager.isAlive()) {
        throw new IllegalStateException("the JobManager exited:\n" + jobManager.tail(40));
      }
      try {
        if (rest.taskManagers() >= count) {
          return;
        }
      } catch (RuntimeException e) {
        // REST not up yet
      }
      sleep(200);
    }
    throw new IllegalStateException("fewer than " + count + " TaskManagers registered within " + timeout
        + "; JobManager log: " + home.resolve("log/jobmanager.log"));
  }

  public FlinkRestClient rest() {
    return rest;
  }

  /** How many ports the Prometheus reporters may take: the JobManager's and TaskManagers', replacements included. */
  public static final int PROMETHEUS_PORTS = 8;
  private int prometheusBase = -1;

  /** The ports the processes' Prometheus reporters bind, each to the first free one (empty without the reporter). */
  public List<Integer> prometheusPorts() {
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; prometheusBase > 0 && i < PROMETHEUS_PORTS; i++) {
      ports.add(prometheusBase + i);
    }
    return ports;
  }

  public ChildJvm jobManager() {
    return jobManager;
  }

  /** The TaskManagers started so far, alive or killed, oldest first. */
  public List<ChildJvm> taskManagers() {
    return List.copyOf(taskManagers);
  }

  /** Every log and output file the cluster's processes wrote. */
  public List<Path> logs() {
    try (var files = Files.list(home.resolve("log"))) {
      return files.sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path home() {
    return home;
  }

  public int restPort() {
    return restPort;
  }

  @Override
  public void close() {
    taskManagers.forEach(ChildJvm::close);
    jobManager.close();
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
