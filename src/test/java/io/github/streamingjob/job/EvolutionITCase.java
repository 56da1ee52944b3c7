package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.job.evolution.SmallBidsPerUserTransformer;
import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.Await;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.TopicsYaml;
import io.github.streamingjob.testing.standin.FlinkRestClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.util.ExceptionUtils;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job changed as users change it, each version restored from the savepoint of the one before: a topic and its
 * pipeline added as the first entry, the entries reordered, the window's query edited, a nullable column added to
 * a topic, its table and its query, the job rescaled with a longer checkpoint interval, the window made twice as
 * long, a pipeline disabled. The shipped config, every pipeline fed in every version, a window open at every stop.
 *
 * <p>After every restore each table is compared whole with what the versions so far must have made of everything
 * sent: 0 lost, 0 duplicated, the window open at the stop counted in full (its saved state plus what came after),
 * one row per key in the keyed table, every malformed record dead-lettered once per pipeline that read it. Records
 * sent while the job was down are in it too: no pipeline, changed or not, skips or replays a record. Only the
 * changes that drop state (the longer window's saved windows, the disabled pipeline's commits) restore with
 * allowNonRestoredState, and then the changed pipeline alone starts that state afresh; Flink refuses the disabled
 * pipeline's savepoint without the flag. Before each restore, {@code --validate --savepoint} says what carries over.
 */
class EvolutionITCase {
  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  static final long MINUTE = 60_000;
  static final long WATERMARK_DELAY = 5_000; // bid-events-aggregated in topics.yaml
  static final Duration TIMEOUT = Duration.ofSeconds(180);
  static final Map<String, Integer> PARTITIONS = Map.of("bid-events", 3, "user-activity", 2, "order-events", 2,
      "page-views", 2, "shop.public.customers", 1);

  static KillableMiniCluster flink;
  static HadoopCatalog catalog;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    try {
      flink = KillableMiniCluster.start();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), dir.resolve("warehouse").toUri().toString());
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {catalog, flink}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** One deployed version of the job, and what its pipelines do. */
  static final class Version {
    final String change;
    final TopicsYaml topics;
    final int parallelism;
    final String checkpointInterval;
    final boolean dropsState;
    boolean rawBids = true;
    int windowMinutes = 1;
    boolean smallBidsOnly;
    boolean referrer;
    boolean pageViews;

    Version(String change, TopicsYaml topics, int parallelism, String checkpointInterval, boolean dropsState) {
      this.change = change;
      this.topics = topics;
      this.parallelism = parallelism;
      this.checkpointInterval = checkpointInterval;
      this.dropsState = dropsState;
    }

    Version then(String change, Function<TopicsYaml, TopicsYaml> edit, boolean dropsState) {
      Version v = new Version(change, edit.apply(topics), parallelism, checkpointInterval, dropsState);
      v.rawBids = rawBids;
      v.windowMinutes = windowMinutes;
      v.smallBidsOnly = smallBidsOnly;
      v.referrer = referrer;
      v.pageViews = pageViews;
      return v;
    }
  }

  static List<Version> versions() {
    List<Version> v = new ArrayList<>();
    v.add(new Version("the shipped config", TopicsYaml.shipped(), 2, "1 s", false));
    v.add(last(v).then("a topic and its pipeline added as the first entry", t -> t.add("page-views", "user-activity",
        true, Map.of("kafka_group_id", "flink-page-views-v1", "sink.table_name", "page_views")), false));
    last(v).pageViews = true;
    v.add(last(v).then("the entries in the opposite order", TopicsYaml::reversed, false));
    v.add(last(v).then("a WHERE added to the window's query", t -> t.set("bid-events-aggregated", "transformation",
        "small_bids_per_user"), false));
    last(v).smallBidsOnly = true;
    v.add(last(v).then("a nullable column added to user-activity, its table and its query", t -> t
        .addColumn("user-activity", "source_schema", "referrer", "STRING")
        .addColumn("user-activity", "sink.schema", "referrer", "STRING")
        .set("user-activity", "transformation", "user_events_with_referrer"), false));
    last(v).referrer = true;
    Version rescaled = new Version("rescaled from 2 to 3, checkpoints every 3 s instead of 1 s", last(v).topics, 3,
        "3 s", false);
    rescaled.pageViews = true;
    rescaled.smallBidsOnly = true;
    rescaled.referrer = true;
    v.add(rescaled);
    v.add(last(v).then("the window twice as long", t -> t.set("bid-events-aggregated", "transformation",
        "bids_per_user_per_two_minutes"), true));
    last(v).windowMinutes = 2;
    last(v).smallBidsOnly = false;
    v.add(last(v).then("the raw bids' pipeline disabled", t -> t.set("bid-events", "enabled", false), true));
    last(v).rawBids = false;
    return v;
  }

  private static Version last(List<Version> v) {
    return v.get(v.size() - 1);
  }

  @Test
  void everyChangeRestoresWithEveryOtherPipelineExact() throws Exception {
    List<Version> versions = versions();
    try (Traffic traffic = new Traffic("evolution")) {
      changeAndRestore(versions, traffic);
    }
  }

  /**
   * A savepoint of the version before name-derived ids, whose operators' state is filed under their positions in
   * the graph: this version takes none of it as it is ({@code --validate --savepoint} says so). {@link
   * MigrateSavepoint} moves it onto the names, and the job restores the migrated savepoint without
   * allowNonRestoredState, with everything: the window open at the stop counted in full, no record lost or written
   * twice, no Iceberg commit repeated (the committers' commit history was handed over to their new ids).
   */
  @Test
  void aSavepointOfThePreviousVersionMovesOverWithItsState() throws Exception {
    // No periodic checkpoint: the test takes them, so that rows can be caught written but not committed when the
    // savepoint is taken.
    Version shipped = new Version("the shipped config", TopicsYaml.shipped(), 2, "1 h", false);
    try (Traffic traffic = new Traffic("migration")) {
      Path config = shipped.topics.writeTo(dir.resolve("migration-config"));
      Path props = traffic.properties(0, shipped);
      CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
      JobClient previous = StreamingJob.runWithPreviousVersionIds(cli,
          new TestStreamEnvironment(flink.cluster(), new Configuration(), 2, List.of(), List.of()),
          JobSources.fromArgs(cli));
      await("every task of the previous version running", () -> flink.allRunning(previous));
      traffic.live(0, shipped);
      traffic.awaitTables(List.of(shipped), () -> flink.cluster().triggerCheckpoint(previous.getJobID()).join());
      // Orders in flight at the stop: written, not committed. The savepoint's checkpoint commits them when the job
      // stops, and a restored committer that did not know it had (its id changed) would commit them again.
      traffic.orders(0, 12);
      java.net.URI rest = flink.cluster().getRestAddress().get();
      FlinkRestClient web = new FlinkRestClient(rest.getHost(), rest.getPort());
      String jobId = previous.getJobID().toString();
      await("the orders read (not committed: no checkpoint is taken)", () -> IntStream.range(0, 2).allMatch(p ->
          web.kafkaCurrentOffset(jobId, "order-events", p) >= traffic.nextOffset.get("order-events/" + p) - 1));
      String savepoint = previous.stopWithSavepoint(false, dir.resolve("migration-savepoints").toUri().toString(),
          SavepointFormatType.CANONICAL).get();

      assertThat(validate(config, props, savepoint, false)).contains("pipeline 'bid-events-aggregated': new")
          .contains("needs allowNonRestoredState");
      String migrated = dir.resolve("migration-migrated").toUri().toString();
      String log = MigrateSavepoint.migrate("--savepoint", savepoint, "--to", migrated, "--config-dir",
          config.toString(), "--properties", props.toString());
      System.out.println(log);
      assertThat(log).contains("  kafka-source: bid-events  <-  ", "  " + OperatorIdsTest.WINDOW + "  <-  ",
          "  table migration.bid_events_raw: committer  <-  ",
          "  migration.bid_events_raw: commits of 1 Flink job(s) recorded for its committer's new id");
      assertThat(validate(config, props, migrated, true)).contains("pipeline 'bid-events-aggregated': unchanged")
          .contains("dropped: nothing");

      traffic.whileDown(1, shipped);
      JobClient job = run(config, traffic.properties(1, versions().get(0)), migrated, false);
      try {
        await("every task running on the migrated savepoint", () -> flink.allRunning(job));
        traffic.live(1, shipped);
        traffic.awaitTables(List.of(shipped, shipped));
      } finally {
        job.cancel().get();
      }
    }
  }

  private static void changeAndRestore(List<Version> versions, Traffic traffic) throws Exception {
    String savepoint = null;
    for (int k = 0; k < versions.size(); k++) {
      Version version = versions.get(k);
      System.out.println("EvolutionITCase: version " + k + ": " + version.change);
      Path config = version.topics.writeTo(dir.resolve(traffic.namespace + "-config-" + k));
      Path props = traffic.properties(k, version);
      if (savepoint != null) {
        String report = validate(config, props, savepoint, !version.dropsState);
        assertReport(k, version, report, traffic.namespace);
        if (version.dropsState && !version.rawBids) {
          assertRefusedWithoutTheFlag(config, props, savepoint);
        }
        traffic.whileDown(k, version);
      }
      JobClient job = run(config, props, savepoint, version.dropsState);
      try {
        await("every task of version " + k + " running", () -> flink.allRunning(job));
        traffic.live(k, version);
        traffic.awaitTables(versions.subList(0, k + 1));
        if (k + 1 < versions.size()) {
          savepoint = job.stopWithSavepoint(false, dir.resolve(traffic.namespace + "-savepoints").toUri().toString(),
              SavepointFormatType.CANONICAL).get();
        }
      } finally {
        if (k + 1 == versions.size()) {
          job.cancel().get();
        }
      }
    }
  }

  /** What {@code --validate --savepoint} says of each change, and that it says no where a flag is needed. */
  private static void assertReport(int k, Version version, String report, String namespace) {
    List<String> pipelines = List.of("bid-events", "user-activity", "order-events", "bid-events-aggregated",
        "customers");
    if (k == 1) {
      assertThat(report).contains("pipeline 'page-views': new: position in Kafka topic page-views (reads from "
          + "earliest-offset); Iceberg commit of table " + namespace + ".page_views start afresh");
    }
    for (String p : pipelines) {
      boolean changed = k == 6 && p.equals("bid-events-aggregated");
      boolean gone = !version.rawBids && p.equals("bid-events");
      if (gone) {
        assertThat(report).doesNotContain("pipeline 'bid-events':");
      } else if (changed) {
        assertThat(report).contains("pipeline 'bid-events-aggregated': CHANGED, keeps position in Kafka topic "
            + "bid-events (read for bid-events, bid-events-aggregated); watermark of its late-record gate; Iceberg "
            + "commit of table " + namespace
            + ".bid_events_aggregated; starts afresh: GlobalWindowAggregate state");
      } else {
        assertThat(report).contains("pipeline '" + p + "': unchanged, keeps ");
      }
    }
    if (!version.dropsState) {
      assertThat(report).contains("dropped: nothing").contains("restores without allowNonRestoredState");
    } else if (version.rawBids) {
      assertThat(report).contains("DROPPED").containsOnlyOnce("  - operator ").contains("keyed state")
          .contains("needs allowNonRestoredState");
    } else {
      assertThat(report).contains("DROPPED").contains("  - Iceberg commit of table " + namespace + ".bid_events_raw "
          + "(entry 'bid-events', disabled)").doesNotContain("  - operator ").contains("needs allowNonRestoredState");
    }
  }

  /** Without allowNonRestoredState Flink refuses a savepoint whose state no operator takes: the report was right. */
  private static void assertRefusedWithoutTheFlag(Path config, Path props, String savepoint) throws Exception {
    JobClient refused = run(config, props, savepoint, false);
    Throwable failure = null;
    try {
      refused.getJobExecutionResult().get();
    } catch (Exception e) {
      failure = e;
    }
    assertThat(failure).as("the restore without allowNonRestoredState failed").isNotNull();
    assertThat(ExceptionUtils.findThrowableWithMessage(failure, "Cannot map checkpoint/savepoint state for operator"))
        .isPresent();
  }

  private static JobClient run(Path config, Path props, String savepoint, boolean allowNonRestored) {
    Configuration conf = new Configuration();
    if (savepoint != null) {
      conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
      conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, allowNonRestored);
    }
    CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
    return StreamingJob.run(cli, new TestStreamEnvironment(flink.cluster(), conf, 2, List.of(), List.of()),
        JobSources.fromArgs(cli));
  }

  /** {@code --validate --savepoint}: its output, and whether it passed as expected. */
  static String validate(Path config, Path props, String savepoint, boolean expectedValid) {
    CliArgs cli = CliArgs.parse("--validate", "--savepoint", savepoint, "--config-dir", config.toString(),
        "--properties", props.toString());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    boolean valid;
    try (PrintStream capture = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      System.setOut(capture);
      System.setErr(capture);
      valid = StreamingJob.validate(cli, org.apache.flink.streaming.api.environment.StreamExecutionEnvironment
          .getExecutionEnvironment());
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    String report = text.contains("== restoring from") ? text.substring(text.indexOf("== restoring from")) : text;
    System.out.println(report);
    assertThat(valid).as("--validate --savepoint passes: " + report).isEqualTo(expectedValid);
    return report;
  }

  static void await(String what, Supplier<Boolean> done) throws InterruptedException {
    if (!Await.toleratingErrors(TIMEOUT, Duration.ofMillis(250), done::get)) {
      throw new AssertionError("timed out after " + TIMEOUT + " waiting for " + what);
    }
  }

  /** A record a version processes. */
  static final class Sent {
    final String topic;
    final int partition;
    final long offset;
    final int version;
    final Map<String, Object> fields;

    Sent(String topic, int partition, long offset, int version, Map<String, Object> fields) {
      this.topic = topic;
      this.partition = partition;
      this.offset = offset;
      this.version = version;
      this.fields = fields;
    }

    Object get(String field) {
      return fields.get(field);
    }
  }

  /**
   * A Kafka broker of its own with the shipped config's topics, everything sent to it, and what each table (in a
   * namespace of its own) must hold after it went through the versions.
   */
  static final class Traffic implements AutoCloseable {
    final String namespace;
    final EmbeddedKafka kafka = EmbeddedKafka.start();
    final List<Sent> sent = new ArrayList<>();
    final Map<String, Long> nextOffset = new HashMap<>();
    final Map<Long, String> customers = new TreeMap<>();
    int ids;

    Traffic(String namespace) {
      this.namespace = namespace;
      PARTITIONS.forEach(kafka::createTopic);
    }

    Path properties(int k, Version version) {
      return PropertiesFile.local(kafka.bootstrapServers(), dir.resolve("warehouse"), namespace)
          .set("Job", "parallelism", Integer.toString(version.parallelism))
          .set("Job", "checkpoint.interval", version.checkpointInterval)
          .writeTo(dir.resolve(namespace + "-properties-" + k + ".json"));
    }

    @Override
    public void close() {
      kafka.close();
    }

    /** Records a version reads after it restored: they were sent while the job was down. */
    void whileDown(int k, Version version) {
      long open = (4L * (k - 1) + 3) * MINUTE; // the minute whose window was open at the stop
      bids(k, "down", 12, open + 20_000, 15_000);
      activities(k, version, "user-activity", 4);
      activities(k, version, "page-views", 3);
      orders(k, 6);
      customerChanges(k, 3);
    }

    /**
     * The version's own traffic: the rest of the window open at the last stop, three minutes of bids and the clocks
     * that close them (every partition, as the watermark is their minimum), then bids of the next minute, whose
     * window stays open; the other topics' events, customers' changes, and malformed records.
     */
    void live(int k, Version version) {
      long base = 4L * k * MINUTE;
      if (k > 0) {
        bids(k, "after", 9, base - MINUTE + 36_000, 14_000);
      }
      bids(k, "bids", 90, base, 3 * MINUTE);
      for (int p = 0; p < PARTITIONS.get("bid-events"); p++) {
        send("bid-events", p, k, bid("clock-" + k + "-" + p, 99, T0 + base + 3 * MINUTE + 10_000, 1.5));
      }
      bids(k, "open", 12, base + 3 * MINUTE + 12_000, 6_000);
      activities(k, version, "user-activity", 10);
      activities(k, version, "page-views", 8);
      orders(k, 12);
      customerChanges(k, 6);
      for (String topic : List.of("bid-events", "user-activity", "order-events", "shop.public.customers")) {
        send(topic, 0, k, malformed("not json " + k + " " + topic));
      }
    }

    void bids(int k, String prefix, int n, long from, long span) {
      for (int i = 0; i < n; i++) {
        String id = prefix + "-" + k + "-" + i;
        send("bid-events", i % PARTITIONS.get("bid-events"), k, bid(id, i % 7, T0 + from + i * span / n,
            (i * 137 + k * 11) % 1000 + 0.25));
      }
    }

    void activities(int k, Version version, String topic, int n) {
      for (int i = 0; i < n; i++) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("user_id", (long) (i % 5));
        f.put("activity_type", "view");
        f.put("page_url", "/" + topic + "/" + ids++);
        f.put("timestamp_ms", T0 + i);
        if (topic.equals("user-activity") && version.referrer) {
          f.put("referrer", "r" + ids);
        }
        send(topic, i % 2, k, f);
      }
    }

    void orders(int k, int n) {
      for (int i = 0; i < n; i++) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("order_id", "o" + ids++);
        f.put("user_id", (long) i);
        f.put("amount", i % 3 == 0 ? -1.0 : 10.0 + i);
        f.put("status", "paid");
        f.put("timestamp_ms", T0);
        send("order-events", i % 2, k, f);
      }
    }

    /** New customers, the newest existing one's email changed, the oldest deleted. */
    void customerChanges(int k, int n) {
      List<String> changes = new ArrayList<>();
      if (!customers.isEmpty()) {
        long newest = ((TreeMap<Long, String>) customers).lastKey();
        String moved = "moved-" + k + "@x.com";
        changes.add(change("u", customer(newest, customers.get(newest)), customer(newest, moved)));
        customers.put(newest, moved);
        long oldest = ((TreeMap<Long, String>) customers).firstKey();
        changes.add(change("d", customer(oldest, customers.get(oldest)), "null"));
        customers.remove(oldest);
      }
      for (int i = 0; i < n; i++) {
        long id = ids++;
        String email = "c" + id + "@x.com";
        changes.add(change("c", "null", customer(id, email)));
        customers.put(id, email);
      }
      for (String c : changes) {
        sendRaw("shop.public.customers", 0, k, c, Map.of());
      }
    }

    static String customer(long id, String email) {
      return String.format("{\"customer_id\":%d,\"name\":\"N%d\",\"email\":\"%s\",\"country\":\"DE\"}", id, id, email);
    }

    static String change(String op, String before, String after) {
      return "{\"before\":" + before + ",\"after\":" + after + ",\"op\":\"" + op + "\",\"ts_ms\":" + T0 + "}";
    }

    static Map<String, Object> bid(String id, int user, long time, double amount) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("user_id", (long) user);
      f.put("bid_id", id);
      f.put("amount", amount);
      f.put("timestamp_ms", time);
      return f;
    }

    static Map<String, Object> malformed(String text) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("__malformed", text);
      return f;
    }

    void send(String topic, int partition, int version, Map<String, Object> fields) {
      String value = fields.containsKey("__malformed") ? (String) fields.get("__malformed")
          : fields.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + json(e.getValue()))
              .collect(Collectors.joining(",", "{", "}"));
      sendRaw(topic, partition, version, value, fields);
    }

    private void sendRaw(String topic, int partition, int version, String value, Map<String, Object> fields) {
      long offset = nextOffset.merge(topic + "/" + partition, 1L, Long::sum) - 1;
      kafka.send(topic, partition, List.of(value));
      sent.add(new Sent(topic, partition, offset, version, fields));
    }

    private static String json(Object v) {
      return v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
    }

    List<Sent> of(String topic) {
      return sent.stream().filter(s -> s.topic.equals(topic) && !s.fields.containsKey("__malformed")
          && !s.fields.isEmpty()).collect(Collectors.toList());
    }

    /** Waits until every table is what {@code versions} make of everything sent; fails with the differences. */
    void awaitTables(List<Version> versions) throws InterruptedException {
      awaitTables(versions, () -> { });
    }

    /** The same, with {@code poke} run before each look (a checkpoint taken, where none are periodic). */
    void awaitTables(List<Version> versions, Runnable poke) throws InterruptedException {
      Map<String, List<String>> expected = expected(versions);
      Map<String, List<String>> actual = new LinkedHashMap<>();
      boolean done = Await.toleratingErrors(TIMEOUT, Duration.ofMillis(500), () -> {
        poke.run();
        actual.clear();
        expected.keySet().forEach(t -> actual.put(t, rows(t)));
        return actual.equals(expected);
      });
      if (!done) {
        StringBuilder diff = new StringBuilder();
        expected.forEach((t, rows) -> {
          List<String> got = actual.getOrDefault(t, List.of());
          if (!got.equals(rows)) {
            List<String> missing = new ArrayList<>(rows);
            got.forEach(missing::remove);
            List<String> extra = new ArrayList<>(got);
            rows.forEach(extra::remove);
            diff.append("\n  ").append(t).append(": expected ").append(rows.size()).append(" rows, found ")
                .append(got.size()).append("; missing ").append(head(missing)).append("; unexpected ")
                .append(head(extra));
          }
        });
        throw new AssertionError("after version " + (versions.size() - 1) + " (" + last(versions).change
            + "), the tables differ from what was sent:" + diff);
      }
    }

    private static List<String> head(List<String> rows) {
      return rows.size() <= 8 ? rows : rows.subList(0, 8);
    }

    Map<String, List<String>> expected(List<Version> versions) {
      Map<String, List<String>> out = new LinkedHashMap<>();
      out.put("bid_events_raw", sorted(of("bid-events").stream().filter(s -> versions.get(s.version).rawBids)
          .map(s -> s.get("bid_id") + " " + s.get("user_id"))));
      out.put("bid_events_aggregated", windows(versions));
      out.put("user_events_processed", sorted(of("user-activity").stream()
          .map(s -> s.get("page_url") + " " + s.get("referrer"))));
      if (last(versions).pageViews) {
        out.put("page_views", sorted(of("page-views").stream().map(s -> s.get("page_url") + " null")));
      }
      out.put("order_events_enriched", sorted(of("order-events").stream()
          .filter(s -> (Double) s.get("amount") > 0).map(s -> s.get("order_id") + " " + s.get("amount"))));
      out.put("customers", customers.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
          .sorted().collect(Collectors.toList()));
      List<String> dead = new ArrayList<>();
      for (Sent s : sent) {
        if (s.fields.containsKey("__malformed")) {
          Version v = versions.get(s.version);
          for (String pipeline : readers(s.topic, v)) {
            dead.add(pipeline + " " + s.topic + " " + s.partition + " " + s.offset);
          }
        }
      }
      out.put("dead_letters", sorted(dead.stream()));
      return out;
    }

    private static List<String> readers(String topic, Version v) {
      switch (topic) {
        case "bid-events":
          return v.rawBids ? List.of("bid-events", "bid-events-aggregated") : List.of("bid-events-aggregated");
        case "shop.public.customers":
          return List.of("customers");
        default:
          return List.of(topic);
      }
    }

    /**
     * The window rows: per run of versions whose window state carries over (same window size), the bids they
     * counted per user and window, for every window the watermark closed during that run.
     */
    List<String> windows(List<Version> versions) {
      List<String> out = new ArrayList<>();
      int from = 0;
      while (from < versions.size()) {
        int to = from;
        while (to + 1 < versions.size() && versions.get(to + 1).windowMinutes == versions.get(from).windowMinutes) {
          to++;
        }
        int first = from;
        int lastOfRun = to;
        long size = versions.get(from).windowMinutes * MINUTE;
        List<Sent> bids = of("bid-events").stream().filter(s -> s.version >= first && s.version <= lastOfRun)
            .collect(Collectors.toList());
        long watermark = bids.stream().filter(s -> (Long) s.get("user_id") == 99L)
            .mapToLong(s -> (Long) s.get("timestamp_ms")).max().orElse(Long.MIN_VALUE + WATERMARK_DELAY)
            - WATERMARK_DELAY;
        Map<String, Long> counts = new TreeMap<>();
        for (Sent b : bids) {
          if (versions.get(b.version).smallBidsOnly && (Double) b.get("amount") >= SmallBidsPerUserTransformer.LIMIT) {
            continue;
          }
          long time = (Long) b.get("timestamp_ms") - T0;
          long start = Math.floorDiv(time, size) * size;
          if (start + size <= watermark - T0) {
            counts.merge(b.get("user_id") + " " + LocalDateTime.ofEpochSecond((T0 + start) / 1000, 0, ZoneOffset.UTC)
                + " " + LocalDateTime.ofEpochSecond((T0 + start + size) / 1000, 0, ZoneOffset.UTC), 1L, Long::sum);
          }
        }
        counts.forEach((w, c) -> out.add(w + " " + c));
        from = to + 1;
      }
      return sorted(out.stream());
    }

    private static List<String> sorted(java.util.stream.Stream<String> rows) {
      return rows.sorted().collect(Collectors.toList());
    }

    List<String> rows(String table) {
      TableIdentifier id = TableIdentifier.of(namespace, table);
      if (!catalog.tableExists(id)) {
        return List.of();
      }
      Function<Record, String> line;
      switch (table) {
        case "bid_events_raw":
          line = r -> r.getField("bid_id") + " " + r.getField("user_id");
          break;
        case "bid_events_aggregated":
          line = r -> r.getField("user_id") + " " + r.getField("window_start") + " " + r.getField("window_end") + " "
              + r.getField("bid_count");
          break;
        case "user_events_processed":
          line = r -> r.getField("page_url") + " " + r.getField("referrer"); // null before the column existed
          break;
        case "page_views":
          line = r -> r.getField("page_url") + " null";
          break;
        case "order_events_enriched":
          line = r -> r.getField("order_id") + " " + r.getField("amount");
          break;
        case "customers":
          line = r -> r.getField("customer_id") + " " + r.getField("email");
          break;
        case "dead_letters":
          line = r -> r.getField("pipeline") + " " + r.getField("kafka_topic") + " " + r.getField("kafka_partition")
              + " " + r.getField("kafka_offset");
          break;
        default:
          throw new IllegalArgumentException(table);
      }
      return IcebergTables.rows(catalog, id).stream().map(line).map(Objects::toString).sorted()
          .collect(Collectors.toList());
    }
  }
}
