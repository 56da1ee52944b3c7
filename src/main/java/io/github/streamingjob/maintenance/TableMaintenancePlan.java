package io.github.streamingjob.maintenance;

import io.github.streamingjob.catalog.CatalogSettings;
import io.github.streamingjob.config.MaintenanceDef;
import io.github.streamingjob.config.SinkDef;
import io.github.streamingjob.sink.IcebergSinkTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.maintenance.api.DeleteOrphanFiles;
import org.apache.iceberg.flink.maintenance.api.ExpireSnapshots;
import org.apache.iceberg.flink.maintenance.api.MaintenanceTaskBuilder;
import org.apache.iceberg.flink.maintenance.api.BackgroundRewriteDataFiles;
import org.apache.iceberg.flink.maintenance.api.TableMaintenance;

/**
 * Iceberg's Flink table maintenance (compaction, snapshot expiry, orphan-file cleanup), appended per table to the
 * job's own stream graph, so the tables stay healthy without a second job. Each table gets a monitor source that
 * follows its commits and a trigger manager that runs one task at a time.
 */
public final class TableMaintenancePlan {
  private static final String UID_MARK = "-maintenance-";
  private static final String FLINK2_MARK = "flink2-";

  private TableMaintenancePlan() {}

  /** On unless the YAML says otherwise; S3 Tables compacts, expires and cleans up its tables itself. */
  public static boolean enabled(SinkDef table, CatalogSettings.Type catalog) {
    return table.maintenance().enabled().orElse(catalog != CatalogSettings.Type.S3TABLES);
  }

  /**
   * The plan as {@code --validate} prints it; a bounded run has none (it must end with its input), and a job whose
   * {@code Job.role} is {@code pipelines} leaves the tables it would maintain to another job ({@code elsewhere}).
   */
  public static String describe(SinkDef table, CatalogSettings.Type catalog, boolean bounded, boolean elsewhere) {
    if (bounded) {
      return "-- maintenance of " + table.tableName() + ": off (a bounded run ends with its input)\n";
    }
    MaintenanceDef m = table.maintenance();
    String catalogName = catalog.name().toLowerCase(Locale.ROOT);
    if (!enabled(table, catalog)) {
      return "-- maintenance of " + table.tableName() + ": off (" + (m.enabled().isPresent() ? "sink.maintenance.enabled"
          : "the default on " + catalogName + ": the catalog maintains its tables itself") + ")\n";
    }
    if (elsewhere) {
      return "-- maintenance of " + table.tableName() + ": not in this job (Job.role = pipelines; a job of this JAR "
          + "with Job.role = maintenance keeps the table)\n";
    }
    StringBuilder s = new StringBuilder("-- maintenance of " + table.tableName() + ": on, inside this job ("
        + (m.enabled().isPresent() ? "sink.maintenance.enabled" : "the default on " + catalogName)
        + "); the table is checked every " + text(m.checkEvery()) + ", one task at a time\n");
    m.rewrite().ifPresent(r -> s.append("--   rewrite data files ").append(r).append(": into files of ")
        .append(size(m.targetFileSizeBytes())).append(", a partition once it has ")
        .append(m.minInputFiles()).append(" smaller files")
        .append(table.primaryKey().isEmpty() ? "" : ", a data file once " + m.deleteFileThreshold()
            + " delete files apply to it (deletes applied)")
        .append('\n'));
    m.expire().ifPresent(e -> s.append("--   expire snapshots ").append(e).append(": those older than ")
        .append(text(m.expireOlderThan())).append(", keeping the last ").append(m.retainLast()).append('\n'));
    m.orphans().ifPresent(o -> s.append(orphanCleanupAvailable()
        ? "--   delete orphan files " + o + ": unreferenced files older than " + text(m.orphansOlderThan()) + "\n"
        : "--   delete orphan files: not in this build (Iceberg " + org.apache.iceberg.IcebergBuild.version()
            + "'s is unsafe; the Flink 2.2 build has it)\n"));
    if (m.rewrite().isEmpty() && m.expire().isEmpty() && m.orphans().isEmpty()) {
      s.append("--   (every task is off)\n");
    }
    return s.toString();
  }

  /**
   * Whether this build's Iceberg cleans up orphan files safely. Iceberg 1.10 (the Flink 1.20 build; 1.11 needs
   * Java 17) lists a table's metadata from the view it loaded at start: once expiry removed a snapshot, every
   * cleanup failed, and without expiry it would take files of later commits for orphans. Fixed in 1.11.
   */
  public static boolean orphanCleanupAvailable() {
    String[] v = org.apache.iceberg.IcebergBuild.version().split("[.-]");
    try {
      int major = Integer.parseInt(v[0]);
      int minor = Integer.parseInt(v[1]);
      return major > 1 || (major == 1 && minor >= 11);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The tables that get maintenance: none in a bounded run, whose monitor sources would never end. */
  public static List<SinkDef> maintained(List<SinkDef> tables, CatalogSettings.Type catalog, boolean bounded) {
    return bounded ? List.of() : tables.stream()
        .filter(t -> enabled(t, catalog))
        .filter(t -> t.maintenance().rewrite().isPresent() || t.maintenance().expire().isPresent()
            || (t.maintenance().orphans().isPresent() && orphanCleanupAvailable()))
        .collect(Collectors.toList());
  }

  /**
   * Adds each table's maintenance to {@code env}; the tables must exist (Iceberg reads them while building). Its
   * operators get uids of their own, made of the table's name.
   */
  public static void appendTo(StreamExecutionEnvironment env, CatalogLoader catalog, String namespace,
      List<SinkDef> tables) {
    for (SinkDef table : tables) {
      MaintenanceDef m = table.maintenance();
      // The uids keep the maintenance state (last runs, commits counted) across savepoints. Iceberg's trigger
      // manager keeps it with Kryo, which Flink 2 cannot read from Flink 1 (Kryo 2 to 5): the Flink 2 build files
      // it under uids of its own, so a 1.20 savepoint restores there with allowNonRestoredState, the pipelines'
      // state included, and maintenance starts afresh (SavepointUpgradeITCase).
      String uidSuffix = UID_MARK + (flinkMajor() >= 2 ? FLINK2_MARK : "") + table.tableName();
      TableMaintenance.Builder b = TableMaintenance.forTable(env,
              TableLoader.fromCatalog(catalog, TableIdentifier.of(namespace, table.tableName())),
              new JobLocalLockFactory(namespace + "." + table.tableName()))
          .uidSuffix(uidSuffix)
          // One instance per operator: a table's tasks run one at a time anyway, and the ingest keeps the other
          // slots' threads; at the job's parallelism it also needed more network buffers.
          .parallelism(1)
          .rateLimit(m.checkEvery())
          .lockCheckDelay(min(m.checkEvery(), Duration.ofSeconds(30)));
      // The rewrite runs off the checkpoint's path (BackgroundProcessOperator): a checkpoint never waits for it.
      m.rewrite().ifPresent(s -> b.add(schedule(BackgroundRewriteDataFiles.builder()
          .targetFileSizeBytes(m.targetFileSizeBytes())
          .minInputFiles(m.minInputFiles())
          .deleteFileThreshold(m.deleteFileThreshold()), s)));
      m.expire().ifPresent(s -> b.add(schedule(ExpireSnapshots.builder()
          .maxSnapshotAge(m.expireOlderThan())
          .retainLast(m.retainLast()), s)));
      if (orphanCleanupAvailable()) {
        m.orphans().ifPresent(s -> b.add(schedule(DeleteOrphanFiles.builder().minAge(m.orphansOlderThan()), s)));
      }
      try {
        b.append();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot plan the maintenance of table " + table.tableName(), e);
      }
      coLocateLockHolders(env, uidSuffix);
    }
  }

  /**
   * {@link JobLocalLockFactory} keeps the lock in memory, so the operators that take and release it must share a
   * JVM: every single-instance operator of this table's maintenance (the trigger manager, the lock remover and
   * whatever they are chained with) is placed in one slot.
   */
  private static void coLocateLockHolders(StreamExecutionEnvironment env, String uidSuffix) {
    // Sources are not in the environment's list, only reachable from it; the monitor source heads the trigger
    // manager's chain, and Flink reads the co-location of a chain from its head.
    List<Transformation<?>> single = allTransformations(env).stream()
        .filter(t -> t.getUid() != null && t.getUid().endsWith(uidSuffix) && t.getParallelism() == 1)
        .collect(Collectors.toList());
    boolean triggerManager = single.stream().anyMatch(t -> t.getUid().startsWith("Trigger manager"));
    boolean lockRemover = single.stream().anyMatch(t -> t.getUid().startsWith("lock-remover"));
    if (!triggerManager || !lockRemover) {
      // A newer Iceberg named them differently: refuse rather than run with a lock that may not hold.
      throw new IllegalStateException("cannot find Iceberg's maintenance trigger manager and lock remover (uids "
          + single.stream().map(Transformation::getUid).collect(Collectors.toList()) + ")");
    }
    single.forEach(t -> t.setCoLocationGroupKey("maintenance-lock" + uidSuffix));
  }

  /** The table (as named in the job's namespace) whose maintenance an operator is part of, from its uid. */
  public static java.util.Optional<String> maintainedTable(String uid) {
    int at = uid.lastIndexOf(UID_MARK);
    if (at < 0) {
      return java.util.Optional.empty();
    }
    String table = uid.substring(at + UID_MARK.length());
    return java.util.Optional.of(table.startsWith(FLINK2_MARK) ? table.substring(FLINK2_MARK.length()) : table);
  }

  /**
   * The uids of the operators {@link #appendTo} adds for {@code tables}, without a catalog: Iceberg reads a table
   * while building its maintenance, so it is built against empty tables of the same names and schemas in a
   * temporary local warehouse.
   */
  public static List<String> uids(List<SinkDef> tables, String namespace) {
    if (tables.isEmpty()) {
      return List.of();
    }
    java.nio.file.Path dir = null;
    try {
      dir = java.nio.file.Files.createTempDirectory("maintenance-plan");
      String warehouse = dir.toUri().toString();
      org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
      try (org.apache.iceberg.hadoop.HadoopCatalog catalog = new org.apache.iceberg.hadoop.HadoopCatalog(conf, warehouse)) {
        for (SinkDef t : tables) {
          org.apache.iceberg.Schema schema = IcebergSinkTable.icebergSchema(t);
          catalog.createTable(TableIdentifier.of(namespace, t.tableName()), schema,
              IcebergSinkTable.partitionSpec(t, schema), t.properties());
        }
      }
      StreamExecutionEnvironment env = new StreamExecutionEnvironment();
      appendTo(env, CatalogLoader.hadoop("maintenance-plan", conf, Map.of("warehouse", warehouse)), namespace, tables);
      return uidsIn(env);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot plan the tables' maintenance", e);
    } finally {
      if (dir != null) {
        org.apache.flink.util.FileUtils.deleteDirectoryQuietly(dir.toFile());
      }
    }
  }

  /** The uids of every operator in {@code env}. */
  public static List<String> uidsIn(StreamExecutionEnvironment env) {
    return allTransformations(env).stream().map(Transformation::getUid).filter(java.util.Objects::nonNull)
        .collect(Collectors.toList());
  }

  private static Set<Transformation<?>> allTransformations(StreamExecutionEnvironment env) {
    Set<Transformation<?>> all = new LinkedHashSet<>();
    env.getTransformations().forEach(t -> all.addAll(t.getTransitivePredecessors()));
    return all;
  }

  private static <T extends MaintenanceTaskBuilder<T>> T schedule(T task, MaintenanceDef.Schedule s) {
    s.everyCommits().ifPresent(task::scheduleOnCommitCount);
    s.every().ifPresent(task::scheduleOnInterval);
    return task;
  }

  static int flinkMajor() {
    String version = org.apache.flink.runtime.util.EnvironmentInformation.getVersion();
    try {
      return Integer.parseInt(version.substring(0, version.indexOf('.')));
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot tell the Flink version from '" + version + "'", e);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** As the YAML would write it. */
  private static String size(long bytes) {
    return bytes % (1L << 30) == 0 ? (bytes >> 30) + " gb" : bytes % (1L << 20) == 0 ? (bytes >> 20) + " mb"
        : bytes + " bytes";
  }

  private static String text(Duration d) {
    return TimeUtils.formatWithHighestUnit(d);
  }
}
