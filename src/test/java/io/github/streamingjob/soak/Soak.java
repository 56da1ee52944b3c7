package io.github.streamingjob.soak;

import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.WindowedBids;
import io.github.streamingjob.testing.standin.ChildJvm;
import io.github.streamingjob.testing.standin.FlinkRestClient;
import io.github.streamingjob.testing.standin.FlinkSessionCluster;
import io.github.streamingjob.testing.standin.IcebergRestServer;
import io.github.streamingjob.testing.standin.KafkaCluster;
import io.github.streamingjob.testing.standin.NetworkOutage;
import io.github.streamingjob.testing.standin.S3MockServer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.rest.RESTCatalog;

/**
 * The soak: the shipped configuration, its JAR uploaded over REST to a Flink cluster of separate processes, reading a
 * 3-node Kafka cluster and writing through Iceberg's REST catalog server to an S3-compatible store, fed at a steady
 * rate for N minutes while faults of five kinds strike in a seeded random order: a broker restarted, a TaskManager
 * SIGKILLed, the object store cut off, the catalog cut off, a stop-with-savepoint and restore. At the end it stops the
 * producer, waits for the last commit and compares every table whole with what was sent, then again after more
 * checkpoints and a later commit. Prints the seed, each fault with its time and recovery, and one line:
 * {@code SOAK minutes=.. faults=.. lost=0 duplicated=0 max_recovery_s=..}.
 *
 * <p>{@code mvn -q -DskipTests verify exec:exec@soak -Dsoak.args="--minutes 10 --seed 42"} (docs/operations.md);
 * {@code SoakITCase} runs a short one in the build.
 */
public final class Soak {
  static final Path JAR = Path.of(System.getProperty("shaded.jar", "target/missing.jar")).toAbsolutePath();
  static final Path STAND_INS = Path.of(System.getProperty("stand-ins.dir", "target/stand-ins")).toAbsolutePath();
  static final Path FLINK_DIST = Path.of(System.getProperty("flink.dist.classpath",
      "target/stand-ins/flink-dist-1.20.classpath")).toAbsolutePath();
  static final String NAMESPACE = "soak";
  static final String BUCKET = "warehouse";
  static final String REGION = "us-east-1";
  /**
   * How long the job may take to recover from one fault, or to take in the last record, before the soak calls it
   * stuck: generous, because a compaction holds the job's checkpoints while it runs (3.5 minutes once, on a loaded
   * 2-core machine; docs/operations.md), and a passing run never waits for it.
   */
  static final Duration TIMEOUT = Duration.ofMinutes(10);
  static final List<String> TABLES = List.of("bid_events_raw", "user_events_processed", "order_events_enriched",
      "bid_events_aggregated", "customers", "dead_letters");

  /** The five kinds of fault. */
  enum Kind {
    BROKER_RESTART("broker restart"),
    TASKMANAGER_KILL("TaskManager SIGKILL"),
    STORE_OUTAGE("object store cut off"),
    CATALOG_OUTAGE("catalog cut off"),
    SAVEPOINT_RESTORE("stop with savepoint, restore");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  /** What to run. */
  static final class Options {
    double minutes = 10;
    int faults = -1; // by default one each 45 s of the run, at least one of each kind
    long seed = System.nanoTime() % 1_000_000;
    int bidsPerTick = 20; // 200 bids, 100 activities, 100 orders and 20 changes of customers a second

    static Options parse(String... args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String value = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--minutes": o.minutes = Double.parseDouble(value); i++; break;
          case "--faults": o.faults = Integer.parseInt(value); i++; break;
          case "--seed": o.seed = Long.parseLong(value); i++; break;
          case "--bids-per-tick": o.bidsPerTick = Integer.parseInt(value); i++; break;
          default: throw new IllegalArgumentException("unknown argument " + args[i]
              + " (expected --minutes M, --faults N, --seed S, --bids-per-tick B)");
        }
      }
      if (o.faults < 0) {
        o.faults = Math.max(Kind.values().length, (int) (o.minutes * 60 / 45));
      }
      return o;
    }
  }

  /** One fault: what, when (seconds into the run), how long it lasted and how long the job took to recover. */
  static final class Fault {
    final Kind kind;
    final String detail;
    final double atSeconds;
    final double durationSeconds;
    final double recoverySeconds;

    Fault(Kind kind, String detail, double atSeconds, double durationSeconds, double recoverySeconds) {
      this.kind = kind;
      this.detail = detail;
      this.atSeconds = atSeconds;
      this.durationSeconds = durationSeconds;
      this.recoverySeconds = recoverySeconds;
    }
  }

  /** The run's outcome. */
  static final class Result {
    final List<Fault> faults = new ArrayList<>();
    long lost;
    long duplicated;
    long rows;
    double minutes;
    String failure;

    boolean exact() {
      return failure == null && lost == 0 && duplicated == 0;
    }

    double maxRecoverySeconds() {
      return faults.stream().mapToDouble(f -> f.recoverySeconds).max().orElse(0);
    }
  }

  public static void main(String[] args) throws Exception {
    Result result = run(Options.parse(args));
    System.exit(result.exact() ? 0 : 1);
  }

  private final Options options;
  private final Path home;
  private final Random random;
  private final Result result = new Result();
  private KafkaCluster kafka;
  private NetworkOutage storeLink;
  private NetworkOutage catalogLink;
  private FlinkSessionCluster cluster;
  private FlinkRestClient flink;
  private RESTCatalog catalog;
  private String jarId;
  private List<String> jobArgs;
  private String jobId;
  private long startNanos;
  /** Per table, a few rows lost or beyond what was sent, from the last comparison: for the report. */
  private final Map<String, String> samples = new HashMap<>();

  private Soak(Options options, Path home) {
    this.options = options;
    this.home = home;
    this.random = new Random(options.seed);
  }

  static Result run(Options options) throws Exception {
    // Each broker restart makes the producer's and admin's clients warn of a node they cannot reach: expected here.
    org.apache.logging.log4j.core.config.Configurator.setLevel("org.apache.kafka.clients",
        org.apache.logging.log4j.Level.ERROR);
    if (!Files.isRegularFile(JAR) || !Files.isRegularFile(FLINK_DIST)) {
      throw new IllegalStateException("the soak needs the shaded JAR and the stand-ins' class paths (" + JAR + ", "
          + FLINK_DIST + "): run it as mvn -q -DskipTests verify exec:exec@soak");
    }
    Path home = Files.createDirectories(Path.of("target", "soak", Long.toString(System.currentTimeMillis()))).toAbsolutePath();
    System.out.printf("SOAK seed=%d minutes=%s faults=%d bids_per_s=%d home=%s%n", options.seed, options.minutes,
        options.faults, options.bidsPerTick * 10, home);
    return new Soak(options, home).run();
  }

  private Result run() throws Exception {
    try (KafkaCluster kafka = KafkaCluster.start(3, home.resolve("kafka"));
        S3MockServer s3 = S3MockServer.start(STAND_INS.resolve("s3mock.jar"), home.resolve("s3"), BUCKET,
            home.resolve("s3mock.out"));
        NetworkOutage storeLink = NetworkOutage.inFrontOf(s3.port());
        IcebergRestServer catalogServer = IcebergRestServer.start(STAND_INS.resolve("iceberg-rest.classpath"),
            home.resolve("catalog/catalog.db"), fileIo(s3, "warehouse", "s3://" + BUCKET + "/tables"),
            home.resolve("iceberg-rest.out"));
        NetworkOutage catalogLink = NetworkOutage.inFrontOf(URI.create(catalogServer.uri()).getPort());
        FlinkSessionCluster cluster = FlinkSessionCluster.start(home.resolve("flink"), FLINK_DIST, 2, TIMEOUT);
        RESTCatalog catalog = new RESTCatalog();
        SoakTraffic traffic = new SoakTraffic(kafka.newProducer(), options.seed, options.bidsPerTick)) {
      this.kafka = kafka;
      this.storeLink = storeLink;
      this.catalogLink = catalogLink;
      this.cluster = cluster;
      this.flink = cluster.rest();
      this.catalog = catalog;
      // The soak reads the tables as they are: from the catalog server and the store directly, never cut off.
      catalog.initialize("soak", fileIo(s3, "uri", catalogServer.uri()));
      SoakTraffic.TOPICS.forEach(kafka::createTopic);
      System.out.println("Kafka " + kafka.bootstrapServers() + "; Flink REST " + flink.base() + " (logs in "
          + home.resolve("flink/log") + "); S3Mock " + s3.endpoint() + " behind :" + storeLink.port()
          + "; Iceberg REST catalog " + catalogServer.uri() + " behind :" + catalogLink.port());

      // The job reaches the store and the catalog through the links the faults cut.
      PropertiesFile properties = PropertiesFile.restCatalog(kafka.bootstrapServers(),
              "http://127.0.0.1:" + catalogLink.port(), "s3://" + BUCKET + "/tables", NAMESPACE,
              fileIo(s3, "s3.endpoint", "http://127.0.0.1:" + storeLink.port()))
          .set("Job", "parallelism", "2")
          .set("Job", "checkpoint.interval", "2 s");
      Path props = properties.writeTo(home.resolve("application_properties.json"));
      jobArgs = List.of("--properties", props.toString());
      jarId = flink.uploadJar(JAR);
      long submitted = System.currentTimeMillis();
      jobId = flink.runJar(jarId, jobArgs, null);
      System.out.println("Job " + jobId + " submitted; waiting for its first checkpoint");
      await("the job running, a first checkpoint completed", () -> recovered(submitted));
      startNanos = System.nanoTime();
      System.out.println("Traffic started");

      traffic.start();
      try {
        injectFaults();
      } catch (RuntimeException | AssertionError e) {
        result.failure = e.toString();
        System.out.println("SOAK stopped: " + e);
      }
      traffic.stop();
      result.minutes = (System.nanoTime() - startNanos) / 60e9;
      if (traffic.failure() != null || traffic.unacknowledged() > 0) {
        result.failure = "the producer: " + traffic.unacknowledged() + " of " + traffic.sent()
            + " sends not acknowledged: " + traffic.failure();
      }
      if (result.failure == null) {
        traffic.clocks();
        compare(traffic, "after the last record");
        // A later commit must bring nothing back twice: one more tick (its bids are behind the watermark, late).
        traffic.tick();
        traffic.stop();
        compare(traffic, "after a later commit");
      }
      report();
      return result;
    } finally {
      if (flink != null && jobId != null) {
        try {
          flink.cancel(jobId);
        } catch (RuntimeException e) {
          // the cluster may be gone already
        }
      }
    }
  }

  /**
   * The faults in a seeded random order, one of each kind first shuffled in, spread over the run: fault i starts
   * at (i + 1) / (faults + 1) of it, or once the job has recovered from the one before, whichever is later.
   */
  private void injectFaults() throws Exception {
    List<Kind> kinds = new ArrayList<>();
    for (int i = 0; i < options.faults; i++) {
      kinds.add(i < Kind.values().length ? Kind.values()[i] : Kind.values()[random.nextInt(Kind.values().length)]);
    }
    Collections.shuffle(kinds, random);
    long runNanos = (long) (options.minutes * 60e9);
    for (int i = 0; i < kinds.size(); i++) {
      long due = startNanos + runNanos * (i + 1) / (kinds.size() + 1);
      sleepUntil(Math.max(due, System.nanoTime() + 5_000_000_000L)); // at least 5 s of undisturbed work between
      Fault fault = inject(kinds.get(i));
      result.faults.add(fault);
      System.out.printf("FAULT %d/%d at %.0f s: %s (%s), %.1f s; recovered %.1f s after%n", i + 1, kinds.size(),
          fault.atSeconds, fault.kind.label, fault.detail, fault.durationSeconds, fault.recoverySeconds);
    }
    sleepUntil(startNanos + runNanos);
  }

  private Fault inject(Kind kind) throws Exception {
    long start = System.nanoTime();
    double at = (start - startNanos) / 1e9;
    String detail;
    switch (kind) {
      case BROKER_RESTART: {
        int node = 1 + random.nextInt(kafka.size());
        int down = 5 + random.nextInt(11);
        kafka.kill(node);
        sleepUntil(start + down * 1_000_000_000L);
        Set<String> topics = new HashSet<>(SoakTraffic.TOPICS.keySet());
        topics.add("__consumer_offsets");
        kafka.restart(node, topics);
        detail = "node " + node + " killed, restarted after " + down + " s";
        break;
      }
      case TASKMANAGER_KILL: {
        ChildJvm victim = aliveTaskManager();
        victim.kill();
        // Managed Flink, as any supervised cluster, replaces the process.
        detail = victim + " killed, replaced by " + cluster.startTaskManager();
        break;
      }
      case STORE_OUTAGE:
      case CATALOG_OUTAGE: {
        NetworkOutage link = kind == Kind.STORE_OUTAGE ? storeLink : catalogLink;
        int down = 5 + random.nextInt(21);
        link.cut();
        try {
          while (System.nanoTime() - start < down * 1_000_000_000L) {
            replaceExitedTaskManager();
            Thread.sleep(200);
          }
        } finally {
          link.restore();
        }
        detail = "for " + down + " s";
        break;
      }
      case SAVEPOINT_RESTORE: {
        String savepoint = null;
        for (int attempt = 1; savepoint == null; attempt++) {
          try {
            savepoint = flink.stopWithSavepoint(jobId, home.resolve("savepoints"), false, TIMEOUT);
          } catch (IllegalStateException e) {
            if (attempt == 3) {
              throw e;
            }
            System.out.println("  stop-with-savepoint attempt " + attempt + " failed (" + e.getMessage()
                + "); the job runs on, trying again");
            Thread.sleep(5_000);
          }
        }
        String before = jobId;
        jobId = flink.runJar(jarId, jobArgs, savepoint);
        detail = "job " + before + " stopped with " + savepoint + ", restored as " + jobId;
        break;
      }
      default:
        throw new IllegalStateException(kind.toString());
    }
    long end = System.nanoTime();
    long endMillis = System.currentTimeMillis();
    await("the job recovered from the " + kind.label, () -> recovered(endMillis));
    return new Fault(kind, detail, at, (end - start) / 1e9, (System.nanoTime() - end) / 1e9);
  }

  /**
   * Recovered: the job running with every task, and a checkpoint triggered after the fault completed (its commit
   * follows): from then on the job takes in what arrives again.
   */
  private boolean recovered(long sinceMillis) {
    replaceExitedTaskManager();
    return flink.allTasksRunning(jobId) && flink.checkpoints(jobId).path("latest").path("completed")
        .path("trigger_timestamp").asLong(0) > sinceMillis;
  }

  private ChildJvm aliveTaskManager() {
    List<ChildJvm> alive = cluster.taskManagers().stream().filter(ChildJvm::isAlive).collect(Collectors.toList());
    return alive.get(alive.size() - 1);
  }

  /**
   * As Managed Flink replaces a TaskManager process that exits: on the 2.2 line an outage of the store has ended one
   * (an exception in a failing task's clean-up is fatal to the process; see ClusterDeploymentITCase).
   */
  private void replaceExitedTaskManager() {
    if (cluster.taskManagers().stream().noneMatch(ChildJvm::isAlive)) {
      System.out.println("  no TaskManager process left; started " + cluster.startTaskManager());
    }
  }

  // ---- the check ----

  /**
   * Waits until every table equals what was sent (or the timeout), then for two more checkpoints, and compares once
   * more: what that finds is the result. Each table is compared as a multiset of rows: a row sent and missing is lost,
   * a row the table holds beyond what was sent (a second copy, a stale value, a window counted twice) is duplicated.
   */
  private void compare(SoakTraffic traffic, String when) throws InterruptedException {
    long start = System.nanoTime();
    boolean settled = awaitQuietly(() -> diffs(traffic).values().stream().allMatch(d -> d[0] == 0 && d[1] == 0));
    System.out.printf("CHECK %s: the tables %s after %.1f s%n", when, settled ? "matched" : "did NOT match",
        (System.nanoTime() - start) / 1e9);
    long completed = flink.completedCheckpoints(jobId);
    awaitQuietly(() -> flink.completedCheckpoints(jobId) >= completed + 2);
    Map<String, long[]> diffs = diffs(traffic);
    result.lost = 0;
    result.duplicated = 0;
    result.rows = 0;
    diffs.forEach((table, d) -> {
      result.lost += d[0];
      result.duplicated += d[1];
      result.rows += d[2];
      System.out.printf("TABLE %-22s rows=%d lost=%d duplicated=%d%s%n", table, d[2], d[0], d[1],
          d[0] + d[1] == 0 ? "" : " " + samples.get(table));
    });
  }

  /** Per table: {lost, duplicated, rows}. */
  private Map<String, long[]> diffs(SoakTraffic traffic) {
    Map<String, long[]> out = new LinkedHashMap<>();
    List<String> late = WindowedBids.lateBidIds(catalog, NAMESPACE);
    Map<String, Long> lateCounts = counts(late);
    for (String table : TABLES) {
      List<String> actual = actual(table);
      List<String> expected = traffic.expected(table, lateCounts.keySet());
      out.put(table, diff(table, expected, actual));
    }
    // Late bids: each kept once, each one sent, and (checked with the windows) in no window.
    long twice = lateCounts.values().stream().mapToLong(c -> c - 1).sum();
    long unknown = lateCounts.keySet().stream().filter(id -> !traffic.isBid(id)).count();
    out.put("late_records", new long[] {0, twice + unknown, late.size()});
    samples.put("late_records", "kept twice or never sent: " + lateCounts.entrySet().stream()
        .filter(e -> e.getValue() > 1 || !traffic.isBid(e.getKey())).limit(5).collect(Collectors.toList()));
    return out;
  }

  private long[] diff(String table, List<String> expected, List<String> actual) {
    Map<String, Long> want = counts(expected);
    Map<String, Long> have = counts(actual);
    long lost = 0;
    long extra = 0;
    List<String> missing = new ArrayList<>();
    List<String> surplus = new ArrayList<>();
    for (Map.Entry<String, Long> e : want.entrySet()) {
      long d = e.getValue() - have.getOrDefault(e.getKey(), 0L);
      if (d > 0) {
        lost += d;
        missing.add(e.getKey());
      }
    }
    for (Map.Entry<String, Long> e : have.entrySet()) {
      long d = e.getValue() - want.getOrDefault(e.getKey(), 0L);
      if (d > 0) {
        extra += d;
        surplus.add(e.getKey());
      }
    }
    samples.put(table, "missing e.g. " + missing.stream().limit(5).collect(Collectors.toList()) + "; beyond what was "
        + "sent e.g. " + surplus.stream().limit(5).collect(Collectors.toList()));
    return new long[] {lost, extra, actual.size()};
  }

  private static Map<String, Long> counts(List<String> lines) {
    return lines.stream().collect(Collectors.groupingBy(l -> l, Collectors.counting()));
  }

  /** A table's rows as lines of the columns the events determine (as {@link SoakTraffic#expected} writes them). */
  private List<String> actual(String table) {
    TableIdentifier id = TableIdentifier.of(NAMESPACE, table);
    if (!catalog.tableExists(id)) {
      return List.of();
    }
    return IcebergTables.rows(catalog, id).stream().map(r -> {
      switch (table) {
        case "bid_events_raw":
          return r.getField("bid_id") + " " + r.getField("user_id") + " " + r.getField("amount");
        case "user_events_processed":
          return r.getField("page_url") + " " + r.getField("user_id") + " " + r.getField("activity_type");
        case "order_events_enriched":
          return r.getField("order_id") + " " + r.getField("user_id") + " " + r.getField("amount");
        case "customers":
          return r.getField("customer_id") + " " + r.getField("name") + " " + r.getField("email") + " "
              + r.getField("country");
        case "bid_events_aggregated":
          return WindowedBids.windowRow(r);
        case "dead_letters":
          ByteBuffer payload = ((ByteBuffer) r.getField("payload")).duplicate();
          byte[] bytes = new byte[payload.remaining()];
          payload.get(bytes);
          return r.getField("pipeline") + " " + new String(bytes, StandardCharsets.UTF_8);
        default:
          throw new IllegalArgumentException(table);
      }
    }).collect(Collectors.toList());
  }

  private void report() {
    Map<Kind, List<Double>> byKind = result.faults.stream().collect(Collectors.groupingBy(f -> f.kind,
        () -> new java.util.EnumMap<>(Kind.class), Collectors.mapping(f -> f.recoverySeconds, Collectors.toList())));
    byKind.forEach((kind, times) -> System.out.printf("RECOVERY %-30s n=%d max_s=%.1f mean_s=%.1f%n", kind.label,
        times.size(), Collections.max(times), times.stream().mapToDouble(Double::doubleValue).average().orElse(0)));
    if (result.failure != null) {
      System.out.println("SOAK failed: " + result.failure);
    }
    System.out.printf("SOAK seed=%d minutes=%.1f faults=%d kinds=%d rows=%d lost=%d duplicated=%d "
        + "max_recovery_s=%.1f%n", options.seed, result.minutes, result.faults.size(), byKind.size(), result.rows,
        result.lost, result.duplicated, result.maxRecoverySeconds());
  }

  // ---- helpers ----

  private static Map<String, String> fileIo(S3MockServer s3, String key, String value) {
    Map<String, String> p = s3.fileIoProperties("s3-access-key", "s3-secret-key", REGION);
    p.put(key, value);
    return p;
  }

  private void await(String what, BooleanSupplier done) throws InterruptedException {
    if (!awaitQuietly(done)) {
      throw new IllegalStateException("not within " + TIMEOUT + ": " + what + "; job " + jobId + " "
          + flink.jobState(jobId) + ", last failure: " + flink.exceptions(jobId).path("root-exception").asText()
          .lines().findFirst().orElse("none"));
    }
  }

  /** Polls, errors counting as not yet (the REST API is away while the JobManager restarts a job, say). */
  private static boolean awaitQuietly(BooleanSupplier done) throws InterruptedException {
    return io.github.streamingjob.testing.Await.toleratingErrors(TIMEOUT, Duration.ofSeconds(1), done);
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long left = nanos - System.nanoTime();
    if (left > 0) {
      Thread.sleep(left / 1_000_000);
    }
  }
}
