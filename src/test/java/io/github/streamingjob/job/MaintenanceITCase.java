package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.maintenance.TableMaintenancePlan;
import io.github.streamingjob.testing.Await;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.PropertiesFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Table maintenance inside the job ({@code sink.maintenance}): compaction to one file per partition, snapshot
 * expiry, orphan cleanup, rows compared exactly before and after, exactly once through TaskManagers killed in the
 * middle of a rewrite, and streaming commits that never fail while maintenance commits beside them.
 */
class MaintenanceITCase {
  static final long T0 = 1_704_067_200_000L;
  static final long DAY = 86_400_000L;
  static final int DAYS = 30;
  // A deadline for a 2-core machine running a second build: a batch once took longer than 3 min to commit there.
  static final Duration TIMEOUT = Duration.ofSeconds(600);

  static KillableMiniCluster flink;
  static MiniCluster cluster;
  static EmbeddedKafka kafka;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    flink = KillableMiniCluster.start();
    cluster = flink.cluster();
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
    if (flink != null) {
      flink.close();
    }
  }

  @Test
  void compactsExpiresAndCleansUpExactlyOnceThroughACrashMidRewrite() throws Exception {
    kafka.createTopic("maint-bids", 2);
    HadoopCatalog catalog = catalog("append");
    TableIdentifier id = TableIdentifier.of("mt", "bids");
    Path tableDir = dir.resolve("append").resolve("mt").resolve("bids");

    // 1. Without maintenance: eight commits, each adding a small file to each of 30 day partitions per writer.
    Path config = appendConfig("append-off", "enabled: false");
    JobClient first = startJob("append", config, null);
    int batches = 8;
    // Enough rows that rewriting them takes seconds: the kill below must land inside the rewrite.
    int perBatch = 40_000;
    for (int b = 0; b < batches; b++) {
      kafka.send("maint-bids", b % 2, bids("e", b * perBatch, (b + 1) * perBatch));
      awaitTotalRecords(catalog, id, (b + 1) * perBatch);
    }
    String savepoint = first.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
        SavepointFormatType.CANONICAL).get();
    Table table = catalog.loadTable(id);
    Map<String, Integer> filesBefore = dataFilesPerPartition(table);
    int snapshotsBefore = Iterables.size(table.snapshots());
    List<String> rowsBefore = sortedRows(IcebergTables.rows(catalog, id));
    assertThat(rowsBefore).hasSize(batches * perBatch);
    assertThat(filesBefore).hasSize(DAYS).allSatisfy((day, n) -> assertThat(n).isGreaterThanOrEqualTo(batches));
    Set<Path> onDisk = parquetFiles(tableDir);

    // 2. The same job with maintenance, from the savepoint. No event is sent, so a new data file can only be the
    //    rewrite's output: the TaskManagers are killed as soon as one appears, before the rewrite commits.
    Path on = appendConfig("append-on", "check_every: \"1 s\"\n"
        + "        rewrite_data_files: {every_commits: 1, min_input_files: 2}\n"
        + "        expire_snapshots: {every_commits: 1, older_than: \"1 s\", retain_last: 5}\n"
        + "        delete_orphan_files: {every: \"2 s\", older_than: \"1 h\"}");
    JobClient job = startJob("append", on, savepoint);
    try {
      Path firstOutput = null;
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (firstOutput == null && System.nanoTime() < deadline) {
        firstOutput = parquetFiles(tableDir).stream().filter(f -> !onDisk.contains(f)).findFirst().orElse(null);
        Thread.sleep(2);
      }
      assertThat(firstOutput).as("the rewrite wrote a file").isNotNull();
      flink.killAllTaskManagers();
      table.refresh();
      // The TaskManagers' shutdown may let the committer commit the groups rewritten so far; what matters is that
      // the rewrite was cut short: partitions still uncompacted, the killed attempt's output left uncommitted.
      long uncompacted = dataFilesPerPartition(table).values().stream().filter(n -> n > 1).count();
      assertThat(uncompacted).as("partitions the killed rewrite did not finish").isPositive();
      // Read while the restarted job's maintenance may already expire snapshots (and delete their manifests).
      Set<Path> referenced = referencedFilesOnceReadable(table);
      List<Path> aborted = parquetFiles(tableDir).stream()
          .filter(f -> !onDisk.contains(f) && !referenced.contains(f)).collect(Collectors.toList());
      // Orphans: the aborted output and a planted file, both made older than older_than.
      Path planted = Files.copy(onDisk.iterator().next(), tableDir.resolve("data").resolve("planted-orphan.parquet"));
      List<Path> orphans = new ArrayList<>(aborted);
      orphans.add(planted);
      for (Path orphan : orphans) {
        Files.setLastModifiedTime(orphan, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
      }

      // 3. After the restart: one file per partition, every row as before, snapshots expired, orphans gone.
      assertThat(Await.toleratingErrors(TIMEOUT, Duration.ofMillis(250), () -> {
        table.refresh();
        return dataFilesPerPartition(table).values().stream().allMatch(n -> n == 1);
      })).as("compacted to one file per partition; last saw %s", dataFilesPerPartition(table)).isTrue();
      assertThat(dataFilesPerPartition(table)).hasSize(DAYS);
      assertThat(sortedRows(IcebergTables.rows(catalog, id))).as("rows after compaction").isEqualTo(rowsBefore);
      assertThat(flink.maxAttempt(job)).as("the job restarted").isGreaterThanOrEqualTo(1);
      boolean cleanup = TableMaintenancePlan.orphanCleanupAvailable();
      // An output unreferenced at the kill may be committed after the restart (Iceberg's rewrite commits what it
      // had checkpointed): then it is no orphan, and cleanup rightly keeps it. What must go is every file that is
      // still unreferenced, the planted one always.
      assertThat(Await.toleratingErrors(TIMEOUT, Duration.ofMillis(250), () -> {
        table.refresh();
        return Iterables.size(table.snapshots()) <= 8 && (!cleanup || unreferenced(orphans, table).isEmpty());
      })).as("snapshots expired (%s before, %s now) and orphans deleted (%s left)", snapshotsBefore,
          Iterables.size(table.snapshots()), cleanup ? unreferenced(orphans, table) : List.of()).isTrue();
      assertThat(Files.exists(planted)).as("the planted orphan deleted").isEqualTo(!cleanup);
      Set<Path> nowReferenced = referencedFilesOnceReadable(table);
      System.out.printf("MaintenanceITCase: %d output(s) of the killed rewrite unreferenced at the kill: %d committed "
          + "after the restart, %d deleted as orphans%n", aborted.size(), aborted.stream()
              .filter(nowReferenced::contains).count(), aborted.stream().filter(f -> !Files.exists(f)).count());
      // Expiry deleted the compacted-away files: what is on disk is what the table references (and, on the
      // Flink 1.20 build, which has no orphan cleanup, the orphans).
      Set<Path> left = new HashSet<>(orphans);
      left.removeIf(f -> cleanup || referencedFilesOnceReadable(table).contains(f));
      assertThat(Await.toleratingErrors(TIMEOUT, Duration.ofMillis(250), () -> {
        table.refresh();
        Set<Path> expected = new HashSet<>(referencedFiles(table));
        expected.addAll(left);
        return parquetFiles(tableDir).equals(expected);
      })).as("files on disk are the referenced ones%s", cleanup ? "" : " and the orphans").isTrue();

      // 4. A later commit, then every row compared again: nothing lost, nothing twice.
      laterCommitKeepsEveryRow("maint-bids", catalog, id, rowsBefore);
      assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
      System.out.printf("maintenance: data files %d -> %d (%d partitions), snapshots %d -> %d, %d orphan(s) "
          + (cleanup ? "deleted" : "kept (no orphan cleanup in this build)")
          + "; killed with %d of %d partitions uncompacted%n", filesBefore.values().stream().mapToInt(Integer::intValue).sum(),
          dataFilesPerPartition(table).values().stream().mapToInt(Integer::intValue).sum(), DAYS, snapshotsBefore,
          Iterables.size(table.snapshots()), orphans.size(), uncompacted, DAYS);
    } finally {
      cancel(job);
    }
  }

  @Test
  void upsertTableIsCompactedWithItsDeletesWhileStreamingCommitsNeverFail() throws Exception {
    kafka.createTopic("maint-orders", 2);
    Path config = Files.createDirectories(dir.resolve("upsert-config"));
    Files.writeString(config.resolve("topics.yaml"), ExactlyOnceITCase.orderStatusTopics("maint-orders",
        "maint-upsert", "      maintenance:\n"
        + "        check_every: \"1 s\"\n"
        + "        rewrite_data_files: {every_commits: 1, min_input_files: 2, delete_file_threshold: 1}\n"
        + "        expire_snapshots: {every_commits: 1, older_than: \"1 s\", retain_last: 5}\n"));
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"));
    HadoopCatalog catalog = catalog("upsert");
    TableIdentifier id = TableIdentifier.of("mt", "order_status");
    int keys = 300;
    int versions = 30;
    JobClient job = startJob("upsert", config, null);
    try {
      // Every key updated once per version, a version every ~300 ms: streaming commits every checkpoint and
      // maintenance commits (rewrites, expiry) between them, on the same table.
      // Each commit by sequence number, a rewrite ("replace") or a streaming commit.
      TreeMap<Long, String> commits = new TreeMap<>();
      for (int v = 1; v <= versions; v++) {
        List<String> batch = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
          batch.add(String.format("{\"order_id\":\"o%d\",\"user_id\":%d,\"amount\":%d.0,\"status\":\"v%d\","
              + "\"timestamp_ms\":%d}", k, k, v, v, T0 + v));
        }
        sendTo("maint-orders", batch, keys);
        long until = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < until) {
          observe(catalog, id, commits);
          Thread.sleep(20);
        }
      }
      List<Record> rows = IcebergTables.awaitRows(catalog, id, r -> r.size() == keys
          && r.stream().allMatch(x -> ((Double) x.getField("amount")) == versions), TIMEOUT);
      Map<String, String> expected = new TreeMap<>();
      for (int k = 0; k < keys; k++) {
        expected.put("o" + k, "v" + versions);
      }
      Map<String, String> actual = rows.stream().collect(Collectors.toMap(r -> (String) r.getField("order_id"),
          r -> (String) r.getField("status"), (a, b) -> a + "," + b, TreeMap::new));
      assertThat(actual).isEqualTo(expected);
      // After the last update is compacted, a reader finds no delete file to apply: deletes were rewritten away.
      Table table = catalog.loadTable(id);
      assertThat(Await.toleratingErrors(TIMEOUT, Duration.ofMillis(250), () -> {
        table.refresh();
        observe(catalog, id, commits);
        return scanTasksWithDeletes(table) == 0 && new ArrayList<>(dataFilesPerPartition(table).values()).equals(List.of(1));
      })).as("compacted with deletes applied: %d scan task(s) still carry deletes, %s data files",
          scanTasksWithDeletes(table), dataFilesPerPartition(table)).isTrue();
      List<Record> after = IcebergTables.rows(catalog, id);
      assertThat(sortedRows(after)).as("rows unchanged by compaction").isEqualTo(sortedRows(rows));
      List<Long> rewrites = commits.entrySet().stream().filter(c -> c.getValue().equals("replace"))
          .map(Map.Entry::getKey).collect(Collectors.toList());
      assertThat(rewrites).as("rewrites committed (by sequence number) among %s", commits).hasSizeGreaterThanOrEqualTo(3);
      // Streaming commits went on between the compactions: how many depends on the machine's speed, that they
      // interleave does not.
      long streamingBetween = commits.subMap(rewrites.get(0), rewrites.get(rewrites.size() - 1)).values().stream()
          .filter(op -> !op.equals("replace")).count();
      assertThat(streamingBetween).as("streaming commits between the first and the last rewrite, in %s", commits)
          .isGreaterThanOrEqualTo(2);
      long streamingCommits = commits.values().stream().filter(op -> !op.equals("replace")).count();
      assertThat(flink.maxAttempt(job)).as("no streaming commit failed: the job never restarted").isZero();
      assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
      System.out.printf("maintenance (upsert): %d rewrites committed beside %d streaming commits, 0 restarts%n",
          rewrites.size(), streamingCommits);
    } finally {
      cancel(job);
    }
  }

  @Test
  void maintenanceRunsAsAJobOfItsOwnBesideThePipelines() throws Exception {
    kafka.createTopic("role-bids", 2);
    Path config = dir.resolve("role-config");
    Files.createDirectories(config);
    Files.writeString(config.resolve("topics.yaml"), Files.readString(appendConfig("role-template",
            "check_every: \"1 s\"\n        rewrite_data_files: {every_commits: 1, min_input_files: 2}")
        .resolve("topics.yaml")).replace("maint-bids", "role-bids"));
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"));
    HadoopCatalog catalog = catalog("role");
    TableIdentifier id = TableIdentifier.of("mt", "bids");

    // Before the pipelines' job has created its tables, a maintenance job has nothing to keep: refused, not started.
    assertThatThrownBy(() -> startJob("role", config, null, "maintenance"))
        .hasMessageContaining("Job.role = maintenance: tables [mt.bids")
        .hasMessageContaining("] do not exist yet")
        .hasMessageContaining("Job.role = pipelines creates them: start it first");

    // 0. One job with both, as by default, stopped with a savepoint after a first batch.
    int perBatch = 3_000;
    JobClient both = startJob("role", config, null, "all");
    String savepoint;
    try {
      kafka.send("role-bids", 0, bids("r", 0, perBatch));
      awaitTotalRecords(catalog, id, perBatch);
    } finally {
      savepoint = both.stopWithSavepoint(false, dir.resolve("role-savepoints").toUri().toString(),
          SavepointFormatType.CANONICAL).get();
    }
    // Its maintenance state has no taker in a pipelines-only job: the report names it, Flink needs
    // allowNonRestoredState, and the pipelines keep their state.
    assertThat(EvolutionITCase.validate(config, props("role", config, "pipelines"), savepoint, false))
        .contains("pipeline 'bids': unchanged").contains("DROPPED").contains("maintenance of table mt.bids")
        .contains("needs allowNonRestoredState");

    // 1. The pipelines alone, from the savepoint: with compaction due after every commit, nothing compacts.
    JobClient pipelines = startJob("role", config, savepoint, "pipelines");
    JobClient maintenance = null;
    try {
      int batches = 4;
      for (int b = 1; b < batches; b++) {
        kafka.send("role-bids", b % 2, bids("r", b * perBatch, (b + 1) * perBatch));
        awaitTotalRecords(catalog, id, (b + 1) * perBatch);
      }
      Table table = catalog.loadTable(id);
      assertThat(dataFilesPerPartition(table)).as("no compaction in the pipelines' job").hasSize(DAYS)
          .allSatisfy((day, n) -> assertThat(n).isGreaterThanOrEqualTo(batches - 1));
      assertThat(vertexNames(pipelines)).as("the pipelines' job has no maintenance operator")
          .noneMatch(v -> v.contains("Trigger manager") || v.contains("Rewrite"));
      List<String> rowsBefore = sortedRows(IcebergTables.rows(catalog, id));
      assertThat(rowsBefore).hasSize(batches * perBatch);

      // 2. The same configuration as maintenance only: a job of its own compacts the pipelines' table.
      maintenance = startJob("role", config, null, "maintenance");
      assertThat(vertexNames(maintenance)).as("the maintenance job reads no topic")
          .noneMatch(v -> v.contains("role-bids") || v.toLowerCase(java.util.Locale.ROOT).contains("kafka"));
      assertThat(Await.toleratingErrors(TIMEOUT, Duration.ofMillis(250), () -> {
        table.refresh();
        return dataFilesPerPartition(table).values().stream().allMatch(n -> n == 1);
      })).as("compacted by the maintenance job; last saw %s", dataFilesPerPartition(table)).isTrue();
      assertThat(sortedRows(IcebergTables.rows(catalog, id))).as("rows after compaction").isEqualTo(rowsBefore);

      // 3. The pipelines go on beside it: a later commit, every row once.
      laterCommitKeepsEveryRow("role-bids", catalog, id, rowsBefore);
      assertThat(flink.maxAttempt(pipelines)).as("the pipelines' job never restarted").isZero();
      assertThat(maintenance.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
    } finally {
      if (maintenance != null) {
        cancel(maintenance);
      }
      cancel(pipelines);
    }
  }

  /** 300 more bids, committed: the compacted rows unchanged, each later one once, nothing else. */
  private static void laterCommitKeepsEveryRow(String topic, HadoopCatalog catalog, TableIdentifier id,
      List<String> rowsBefore) throws Exception {
    kafka.send(topic, 0, bids("later", 0, 300));
    awaitTotalRecords(catalog, id, rowsBefore.size() + 300);
    List<Record> rows = IcebergTables.rows(catalog, id);
    assertThat(sortedRows(rows).stream().filter(r -> !r.contains("|later")).collect(Collectors.toList()))
        .as("the compacted rows, unchanged").isEqualTo(rowsBefore);
    assertThat(rows.stream().map(r -> (String) r.getField("bid_id")).filter(b -> b.startsWith("later")))
        .as("the later rows, each once").hasSize(300).doesNotHaveDuplicates();
    assertThat(rows).hasSize(rowsBefore.size() + 300);
  }

  private static List<String> vertexNames(JobClient job) throws Exception {
    List<String> names = new ArrayList<>();
    cluster.getExecutionGraph(job.getJobID()).get().getAllVertices().values()
        .forEach(v -> names.add(v.getName()));
    return names;
  }

  /** Cancels the job; one that failed instead says why (its first exception would otherwise be lost). */
  private static void cancel(JobClient job) throws Exception {
    if (job.getJobStatus().get().isGloballyTerminalState()) {
      var failure = cluster.getExecutionGraph(job.getJobID()).get().getFailureInfo();
      throw new AssertionError("the job ended: " + job.getJobStatus().get()
          + (failure == null ? "" : "\n" + failure.getExceptionAsString()));
    }
    job.cancel().get();
  }

  private static void sendTo(String topic, List<String> batch, int keys) {
    // Keys split by parity over the two partitions, so one key's versions keep their order.
    List<String> even = new ArrayList<>();
    List<String> odd = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      (k % 2 == 0 ? even : odd).add(batch.get(k));
    }
    kafka.send(topic, 0, even);
    kafka.send(topic, 1, odd);
  }

  private static void observe(HadoopCatalog catalog, TableIdentifier id, Map<Long, String> commits) {
    if (!catalog.tableExists(id)) {
      return;
    }
    Table t = catalog.loadTable(id);
    for (Snapshot s : t.snapshots()) {
      commits.put(s.sequenceNumber(), s.operation());
    }
  }

  private JobClient startJob(String name, Path configDir, String savepoint) throws Exception {
    return startJob(name, configDir, savepoint, "all");
  }

  private JobClient startJob(String name, Path configDir, String savepoint, String role) throws Exception {
    Path props = props(name, configDir, role);
    Configuration conf = new Configuration();
    if (savepoint != null) {
      conf.setString("execution.savepoint.path", savepoint);
      // A role that runs fewer operators drops the state of the others (the report says which).
      conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, !role.equals("all"));
    }
    CliArgs cli = CliArgs.parse("--config-dir", configDir.toString(), "--properties", props.toString());
    return StreamingJob.run(cli, new TestStreamEnvironment(cluster, conf, 2, List.of(), List.of()),
        JobSources.fromArgs(cli));
  }

  private static Path props(String name, Path configDir, String role) {
    return PropertiesFile.local(kafka.bootstrapServers(), dir.resolve(name), "mt")
        .set("Job", "parallelism", "2").set("Job", "checkpoint.interval", "500 ms").set("Job", "role", role)
        .writeTo(dir.resolve(name + "-" + configDir.getFileName() + "-" + role + ".json"));
  }

  private static Path appendConfig(String name, String maintenance) throws IOException {
    Path config = Files.createDirectories(dir.resolve(name));
    Files.writeString(config.resolve("topics.yaml"), "topics:\n"
        + "  bids:\n"
        + "    topic: \"maint-bids\"\n"
        + "    kafka_group_id: \"maint-bids\"\n"
        + "    source_schema:\n"
        + "      - {name: \"user_id\", type: \"BIGINT\"}\n"
        + "      - {name: \"bid_id\", type: \"STRING\"}\n"
        + "      - {name: \"amount\", type: \"DOUBLE\"}\n"
        + "      - {name: \"timestamp_ms\", type: \"BIGINT\"}\n"
        + "    sink:\n"
        + "      table_name: \"bids\"\n"
        + "      schema:\n"
        + "        - {name: \"user_id\", type: \"BIGINT\"}\n"
        + "        - {name: \"bid_id\", type: \"STRING\"}\n"
        + "        - {name: \"amount\", type: \"DOUBLE\"}\n"
        + "        - {name: \"event_time\", type: \"TIMESTAMP(3)\"}\n"
        + "        - {name: \"ingestion_time\", type: \"TIMESTAMP(3)\"}\n"
        + "      partition_by: [\"days(event_time)\"]\n"
        + "      maintenance:\n"
        + "        " + maintenance + "\n"
        + "    transformation: \"bid_events_raw\"\n");
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"));
    return config;
  }

  /** Bids with unique ids spread over {@link #DAYS} days, so each commit touches every day partition. */
  private static List<String> bids(String prefix, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(String.format("{\"user_id\":%d,\"bid_id\":\"%s%d\",\"amount\":%d.25,\"timestamp_ms\":%d}", i % 50,
          prefix, i, i % 1000, T0 + (i % DAYS) * DAY + i));
    }
    return out;
  }

  /** Waits on the committed row count from the snapshot summary (reading 300,000 rows per poll is slow). */
  private static void awaitTotalRecords(HadoopCatalog catalog, TableIdentifier id, long n) throws Exception {
    assertThat(Await.toleratingErrors(TIMEOUT, Duration.ofMillis(200), () -> {
      Table t = catalog.loadTable(id);
      return t.currentSnapshot() != null
          && Long.parseLong(t.currentSnapshot().summary().get("total-records")) >= n;
    })).as("%s rows committed to %s", n, id).isTrue();
  }

  private static HadoopCatalog catalog(String name) {
    return new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), dir.resolve(name).toUri().toString());
  }

  /**
   * Every row as text: the table's columns, without the reader's metadata columns (a row's position in its file,
   * {@code _pos}, changes when the file is rewritten; that is the point).
   */
  private static List<String> sortedRows(List<Record> rows) {
    return rows.stream().map(r -> {
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < r.size(); i++) {
        if (!r.struct().fields().get(i).name().startsWith("_")) {
          s.append(r.get(i)).append('|');
        }
      }
      return s.toString();
    }).sorted().collect(Collectors.toList());
  }

  /** Live data files per partition of the current snapshot. */
  private static Map<String, Integer> dataFilesPerPartition(Table table) {
    Map<String, Integer> out = new HashMap<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask t : tasks) {
        out.merge(String.valueOf(t.file().partition()), 1, Integer::sum);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static int scanTasksWithDeletes(Table table) {
    int n = 0;
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask t : tasks) {
        n += t.deletes().isEmpty() ? 0 : 1;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return n;
  }

  /** Those of {@code files} that are on disk and that no snapshot of the table references. */
  private static List<Path> unreferenced(List<Path> files, Table table) {
    Set<Path> referenced = referencedFilesOnceReadable(table);
    return files.stream().filter(f -> Files.exists(f) && !referenced.contains(f)).collect(Collectors.toList());
  }

  /**
   * {@link #referencedFiles}, read again from the table's newest metadata when a manifest vanished under it: expiry
   * deletes the manifests of the snapshots it removes while the test reads.
   */
  private static Set<Path> referencedFilesOnceReadable(Table table) {
    for (int attempt = 1; ; attempt++) {
      try {
        table.refresh();
        return referencedFiles(table);
      } catch (org.apache.iceberg.exceptions.NotFoundException
          | org.apache.iceberg.exceptions.RuntimeIOException e) {
        // A manifest deleted before it is opened is a NotFoundException; one deleted while Avro opens it (between
        // the length lookup and the read) surfaces as "Failed to open file", a RuntimeIOException.
        if (attempt == 20) {
          throw e;
        }
      }
    }
  }

  /** Data files any snapshot of the table references. */
  private static Set<Path> referencedFiles(Table table) {
    return IcebergTables.locations(table).stream().filter(l -> l.endsWith(".parquet"))
        .map(l -> Path.of(java.net.URI.create(l))).collect(Collectors.toSet());
  }

  private static Set<Path> parquetFiles(Path tableDir) {
    Path data = tableDir.resolve("data");
    if (!Files.isDirectory(data)) {
      return Set.of();
    }
    // The job's maintenance may delete files while we list: a file gone before it is visited is not listed.
    Set<Path> found = new java.util.HashSet<>();
    try {
      Files.walkFileTree(data, new java.nio.file.SimpleFileVisitor<>() {
        @Override
        public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes a) {
          if (f.toString().endsWith(".parquet")) {
            found.add(f);
          }
          return java.nio.file.FileVisitResult.CONTINUE;
        }

        @Override
        public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
          if (e instanceof java.nio.file.NoSuchFileException) {
            return java.nio.file.FileVisitResult.CONTINUE;
          }
          throw e;
        }

        @Override
        public java.nio.file.FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          if (e != null && !(e instanceof java.nio.file.NoSuchFileException)) {
            throw e;
          }
          return java.nio.file.FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return found;
  }



  /** Iceberg's relocated Guava is not ours to use; counting an Iterable is one line. */
  private static final class Iterables {
    static int size(Iterable<?> it) {
      int n = 0;
      for (Object ignored : it) {
        n++;
      }
      return n;
    }
  }
}
