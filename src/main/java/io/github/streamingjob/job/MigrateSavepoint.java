package io.github.streamingjob.job;

import io.github.streamingjob.catalog.IcebergCatalogs;
import io.github.streamingjob.config.ConfigException;
import io.github.streamingjob.config.SinkDef;
import io.github.streamingjob.maintenance.TableMaintenancePlan;
import io.github.streamingjob.sink.SinkTables;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraphHasherV2;
import org.apache.flink.util.StringUtils;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.flink.FlinkCatalog;

/**
 * Moves a savepoint taken by the version before name-derived operator ids onto this version's ids, offline, so that
 * the job restores it with all its state: Kafka positions, open windows, pending Iceberg commits.
 *
 * <p>That version filed each pipeline operator's state under an id derived from its position in the job graph
 * ({@code uid "pipeline-<position hash>"}). For the same config this tool builds the same graph, computes those ids
 * and writes a new savepoint with every operator's state under the id of its name ({@link OperatorIds}), its
 * coordinator's state (a Kafka source's split assignment) included. It refuses a savepoint that the config does not
 * explain: migrate first, with the config the savepoint was taken with, then change the config.
 *
 * <p>Iceberg's committer finds what it already committed by its own operator id in the table's snapshots, so a
 * renamed committer would commit its last checkpoint again. Before writing, the tool records the commit history of
 * each table's old committer id under the new one (an empty snapshot per Flink job, with Iceberg's own summary
 * properties), which is exactly what the committer looks up when it restores.
 */
public final class MigrateSavepoint {
  static final String USAGE = "usage: MigrateSavepoint --savepoint DIR --to DIR [--config-dir DIR] [--properties FILE]"
      + " [--parallelism N]";
  // The snapshot summary properties of Iceberg's Flink committer (IcebergFilesCommitter, SinkUtil).
  static final String FLINK_JOB_ID = "flink.job-id";
  static final String OPERATOR_ID = "flink.operator-id";
  static final String MAX_COMMITTED_CHECKPOINT_ID = "flink.max-committed-checkpoint-id";

  private MigrateSavepoint() {}

  public static void main(String[] args) {
    try {
      System.out.print(migrate(args));
      System.exit(0);
    } catch (ConfigException e) {
      System.err.println("NOT MIGRATED: " + e.getMessage());
      System.exit(1);
    }
  }

  /** Migrates; returns what it did. Refuses (ConfigException) with every problem it found, writing nothing. */
  static String migrate(String... args) {
    String from = null;
    String to = null;
    Integer parallelism = null;
    List<String> jobArgs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--savepoint":
          from = value(args, ++i);
          break;
        case "--to":
          to = value(args, ++i);
          break;
        case "--parallelism":
          parallelism = Integer.valueOf(value(args, ++i));
          break;
        case "--config-dir":
        case "--properties":
          jobArgs.add(args[i]);
          jobArgs.add(value(args, ++i));
          break;
        default:
          throw new ConfigException("unknown argument '" + args[i] + "'; " + USAGE);
      }
    }
    if (from == null || to == null) {
      throw new ConfigException(USAGE);
    }
    CliArgs cli = CliArgs.parse(jobArgs.toArray(new String[0]));
    JobSources sources = JobSources.fromArgs(cli);
    CheckpointMetadata savepoint = load(from);
    StreamExecutionEnvironment env = new StreamExecutionEnvironment();
    // Planned as the version before planned it (no late-record gates), for its positions in the graph.
    StreamingJob.Assembly job = StreamingJob.Assembly.of(cli, env, sources, false);
    // The ids depend on the graph's shape, and that on the parallelism: the one the savepoint's job ran with.
    env.setParallelism(parallelism != null ? parallelism : job.settings.job.parallelism().orElse(parallelism(savepoint)));
    String namespace = job.settings.catalog.namespace();
    FlinkCatalog catalog = IcebergCatalogs.create(job.settings.catalog);
    List<SinkDef> tables = JobPlanner.tables(job.pipelines);
    SinkTables.Changes changes = SinkTables.check(catalog.catalog(), namespace, tables,
        job.settings.catalog.locationRoot());
    if (!changes.isEmpty()) {
      throw new ConfigException("the tables are not those of this config (" + changes + "): migrate with the config "
          + "the savepoint was taken with, then change it");
    }
    IcebergCatalogs.register(job.tableEnv, job.settings.catalog, catalog);
    job.planner.addInserts(job.tableEnv.createStatementSet(), job.pipelines).attachAsDataStream();
    Map<Transformation<?>, OperatorID> previous = previousVersionIds(env);
    List<OperatorIds.Operator> operators = OperatorIds.assign(env, JobPlanner.inserts(job.pipelines), namespace,
        OperatorIds.Sinks.ICEBERG);
    Map<String, OperatorIds.Operator> byUid = operators.stream()
        .collect(Collectors.toMap(OperatorIds.Operator::uid, o -> o));
    Map<OperatorID, String> renames = new LinkedHashMap<>();
    previous.forEach((t, id) -> renames.put(id, t.getUid()));
    Map<String, OperatorID> newIds = OperatorIds.operatorIds(renames.values());
    Set<OperatorID> maintenance = new HashSet<>(OperatorIds.operatorIds(TableMaintenancePlan.uids(
        TableMaintenancePlan.maintained(tables, job.settings.catalog.type(), false), namespace)).values());

    List<String> problems = new ArrayList<>();
    List<OperatorState> migrated = new ArrayList<>();
    Map<String, String> done = new TreeMap<>();
    Map<String, OperatorID> committers = new LinkedHashMap<>();
    Set<OperatorID> present = new HashSet<>();
    for (OperatorState state : savepoint.getOperatorStates()) {
      OperatorID id = state.getOperatorID();
      present.add(id);
      String uid = renames.get(id);
      if (uid != null) {
        if (state.isFullyFinished()) {
          problems.add("the operator now named '" + uid + "' had finished (a savepoint taken with --drain): restore it "
              + "with the previous version and stop it with a savepoint without --drain");
          continue;
        }
        migrated.add(SavepointOperators.withId(state, uid, newIds.get(uid)));
        done.put(uid, id.toString());
        if (byUid.get(uid) != null && byUid.get(uid).table().isPresent() && uid.endsWith(": committer")) {
          committers.put(byUid.get(uid).table().get(), id);
        }
      } else if (maintenance.contains(id) || newIds.containsValue(id)) {
        migrated.add(state); // already named: the tables' maintenance, or a savepoint migrated before
      } else if (state.getCoordinatorState() != null || state.getStates().stream().anyMatch(s -> s.hasState())) {
        problems.add("operator " + id + " has state this config does not explain");
      }
    }
    for (OperatorIds.Operator o : operators) {
      OperatorID old = previous.entrySet().stream().filter(e -> e.getKey().getUid().equals(o.uid()))
          .map(Map.Entry::getValue).findFirst().orElse(null);
      if (o.state().isPresent() && old != null && !present.contains(old)) {
        problems.add("the savepoint has nothing for '" + o.uid() + "' (" + o.state().get() + ", id " + old + ")");
      }
    }
    if (!problems.isEmpty()) {
      problems.add("the savepoint must be one of the previous version with this config and parallelism "
          + env.getParallelism() + " (--parallelism): migrate with the config it was taken with, then change it");
      throw new ConfigException(problems);
    }

    StringBuilder out = new StringBuilder("Migrated " + from + " (checkpoint " + savepoint.getCheckpointId() + ") to "
        + to + ":\n");
    done.forEach((uid, old) -> out.append("  ").append(uid).append("  <-  ").append(old).append('\n'));
    Catalog iceberg = catalog.catalog();
    committers.forEach((table, old) -> out.append(handOver(iceberg, table, old,
        newIds.get(OperatorIds.tableUid(table, "committer")))));
    write(from, to, new CheckpointMetadata(savepoint.getCheckpointId(), migrated, savepoint.getMasterStates(),
        savepoint.getCheckpointProperties()));
    out.append("Restore the job from ").append(to).append(" (no allowNonRestoredState needed); keep ").append(from)
        .append(" until the job has taken its first checkpoint.\n");
    return out.toString();
  }

  /**
   * The ids the version before gave the pipelines' operators: Flink's hash of each operator's position in the
   * graph without maintenance (the uid {@code "pipeline-<hash>"} it set), as {@code TableMaintenancePlan
   * .pinOperatorIds} computed them. {@code env} holds the translated INSERTs and nothing else.
   */
  static Map<Transformation<?>, OperatorID> previousVersionIds(StreamExecutionEnvironment env) {
    Map<Transformation<?>, String> uids = previousVersionUids(env);
    Map<String, OperatorID> ids = OperatorIds.operatorIds(uids.values());
    Map<Transformation<?>, OperatorID> out = new LinkedHashMap<>();
    uids.forEach((t, uid) -> out.put(t, ids.get(uid)));
    return out;
  }

  /** Names {@code env}'s operators as the version before did; for tests that need a savepoint of that version. */
  static void applyPreviousVersionIds(StreamExecutionEnvironment env) {
    previousVersionUids(env).forEach((t, uid) -> {
      t.setUid(uid);
      t.setUidHash(uid.substring("pipeline-".length()));
    });
  }

  private static Map<Transformation<?>, String> previousVersionUids(StreamExecutionEnvironment env) {
    Map<Integer, byte[]> positions = new StreamGraphHasherV2().traverseStreamGraphAndGenerateHashes(
        env.getStreamGraph(false));
    Map<Transformation<?>, String> uids = new LinkedHashMap<>();
    for (Transformation<?> t : all(env)) {
      byte[] hash = positions.get(t.getId());
      if (hash != null && t.getUid() == null) {
        uids.put(t, "pipeline-" + StringUtils.byteToHexString(hash));
      }
    }
    return uids;
  }

  private static Set<Transformation<?>> all(StreamExecutionEnvironment env) {
    Set<Transformation<?>> all = new LinkedHashSet<>();
    env.getTransformations().forEach(t -> all.addAll(t.getTransitivePredecessors()));
    return all;
  }

  /**
   * Records, under the committer's new id, what the table says its old id committed: per Flink job, the last
   * checkpoint. Iceberg's committer looks exactly this up (job id from its state, operator id its own) to skip what
   * was committed before; without it, it would commit the savepoint's last checkpoint a second time.
   */
  private static String handOver(Catalog catalog, String qualifiedTable, OperatorID old, OperatorID renamed) {
    String[] parts = qualifiedTable.split("\\.", 2);
    Table table = catalog.loadTable(TableIdentifier.of(parts[0], parts[1]));
    Map<String, Long> lastPerJob = new LinkedHashMap<>();
    for (Snapshot s = table.currentSnapshot(); s != null; s = s.parentId() == null ? null : table.snapshot(s.parentId())) {
      Map<String, String> summary = s.summary();
      if (old.toString().equals(summary.get(OPERATOR_ID)) && summary.containsKey(FLINK_JOB_ID)) {
        lastPerJob.putIfAbsent(summary.get(FLINK_JOB_ID), Long.parseLong(summary.get(MAX_COMMITTED_CHECKPOINT_ID)));
      }
    }
    List<String> jobs = new ArrayList<>(lastPerJob.keySet());
    java.util.Collections.reverse(jobs); // oldest first, so that the newest job's is the newest snapshot
    for (String jobId : jobs) {
      table.newAppend().set(FLINK_JOB_ID, jobId).set(OPERATOR_ID, renamed.toString())
          .set(MAX_COMMITTED_CHECKPOINT_ID, Long.toString(lastPerJob.get(jobId))).commit();
    }
    return "  " + qualifiedTable + ": commits of " + jobs.size() + " Flink job(s) recorded for its committer's new id"
        + (jobs.isEmpty() ? " (none: the old committer never committed)" : " " + lastPerJob) + "\n";
  }

  /** The parallelism most of the savepoint's operators ran with (sources, writers: the job's). */
  private static int parallelism(CheckpointMetadata savepoint) {
    Map<Integer, Long> counts = savepoint.getOperatorStates().stream().filter(s -> s.getParallelism() > 1)
        .collect(Collectors.groupingBy(OperatorState::getParallelism, Collectors.counting()));
    return counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(1);
  }

  /** The whole metadata, its state handles resolved against the savepoint's own directory. */
  static CheckpointMetadata load(String dir) {
    Path metadata = new Path(dir, SavepointMetadata.METADATA);
    try (InputStream in = metadata.getFileSystem().open(metadata);
        DataInputStream data = new DataInputStream(new BufferedInputStream(in))) {
      return Checkpoints.loadCheckpointMetadata(data, MigrateSavepoint.class.getClassLoader(), dir);
    } catch (IOException e) {
      throw new ConfigException("cannot read the savepoint " + dir + ": " + e.getMessage());
    }
  }

  /** The savepoint's files copied to {@code to}, with the new metadata; nothing is written on an error before. */
  private static void write(String from, String to, CheckpointMetadata metadata) {
    try {
      Path source = new Path(from);
      Path target = new Path(to);
      FileSystem fs = target.getFileSystem();
      if (fs.exists(target) && fs.listStatus(target) != null && fs.listStatus(target).length > 0) {
        throw new ConfigException(to + " exists and is not empty");
      }
      fs.mkdirs(target);
      // A canonical savepoint refers to its state files relative to its directory: they come along.
      for (FileStatus f : source.getFileSystem().listStatus(source)) {
        if (!f.isDir() && !f.getPath().getName().equals(SavepointMetadata.METADATA)) {
          try (InputStream in = source.getFileSystem().open(f.getPath());
              OutputStream out = fs.create(new Path(target, f.getPath().getName()), FileSystem.WriteMode.NO_OVERWRITE)) {
            in.transferTo(out);
          }
        }
      }
      try (FSDataOutputStream out = fs.create(new Path(target, SavepointMetadata.METADATA),
          FileSystem.WriteMode.NO_OVERWRITE)) {
        Checkpoints.storeCheckpointMetadata(metadata, (OutputStream) out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the migrated savepoint to " + to, e);
    }
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new ConfigException(args[i - 1] + " needs a value; " + USAGE);
    }
    return args[i];
  }
}
