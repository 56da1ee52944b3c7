package io.github.streamingjob.job;

import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.sink.LateRecordsTable;
import io.github.streamingjob.source.LateRecords;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.runtime.jobgraph.OperatorID;

/**
 * What a restore from a savepoint does to each pipeline: which state carries over, which starts afresh, and which
 * would be dropped because no operator of this job takes it (then Flink refuses the restore unless
 * allowNonRestoredState is set). Computed from the job's operator ids ({@link OperatorIds}) and the savepoint's
 * metadata; {@code --validate --savepoint} prints it before a deployment, the job logs it when it restores.
 */
public final class RestoreReport {
  private final String text;
  private final boolean needsAllowNonRestoredState;
  private final List<String> losing;

  private RestoreReport(String text, boolean needsAllowNonRestoredState, List<String> losing) {
    this.text = text;
    this.needsAllowNonRestoredState = needsAllowNonRestoredState;
    this.losing = List.copyOf(losing);
  }

  /**
   * @param operators the job's operators, pipelines' and maintenance's
   * @param running the entries the job runs, in topics.yaml order
   * @param all every entry of topics.yaml, enabled or not: names for the state of entries that no longer run
   * @param maintenanceOfAll the uids the maintenance of each of their tables would have, and the table
   * @param namespace the catalog namespace of the tables
   */
  static RestoreReport of(SavepointMetadata savepoint, List<OperatorIds.Operator> operators, List<TopicDef> running,
      List<TopicDef> all, Map<String, String> maintenanceOfAll, String namespace) {
    Map<String, OperatorID> ids = OperatorIds.operatorIds(operators.stream().map(OperatorIds.Operator::uid)
        .collect(Collectors.toList()));
    Set<OperatorID> inJob = new LinkedHashSet<>(ids.values());
    StringBuilder out = new StringBuilder("== restoring from " + savepoint.path() + " (checkpoint "
        + savepoint.checkpointId() + ")\n");
    List<String> losing = new ArrayList<>();

    // Per pipeline: its read first, then its operators' state, then its table's commits.
    List<OperatorIds.Operator> ordered = new ArrayList<>(operators);
    ordered.sort(OperatorIds.READ_STATE_COMMIT);
    for (TopicDef entry : running) {
      String name = entry.name();
      List<String> keeps = new ArrayList<>();
      List<String> fresh = new ArrayList<>();
      boolean ownCarried = false;
      boolean sharedSourceCarried = false;
      boolean gateNew = false;
      for (OperatorIds.Operator o : ordered) {
        boolean mine = o.pipeline().map(name::equals).orElse(isSource(o) && o.pipelines().contains(name));
        if (o.state().isEmpty() || !mine) {
          continue; // stateless, another pipeline's, or a dead-letter table's (reported below)
        }
        boolean carried = savepoint.operators().containsKey(ids.get(o.uid()));
        String what = describe(o);
        if (!carried && o.uid().endsWith(LateRecords.GATE_UID_SUFFIX)) {
          gateNew = true; // new in this version, or with the pipeline: it judges by the first watermark that comes
          continue;
        }
        if (carried) {
          keeps.add(what);
          if (isSource(o) && o.pipelines().size() > 1) {
            sharedSourceCarried = true;
          } else {
            ownCarried = true;
          }
        } else {
          fresh.add(what + (isSource(o) ? " (reads from " + entry.scanMode().value() + ")" : ""));
        }
      }
      out.append("pipeline '").append(name).append("': ");
      if (fresh.isEmpty()) {
        out.append("unchanged, keeps ").append(String.join("; ", keeps));
      } else if (!ownCarried) {
        out.append("new: ").append(String.join("; ", fresh)).append(" start afresh");
        if (sharedSourceCarried) {
          out.append("; it joins the read of ").append(String.join("; ", keeps))
              .append(": it reads the topic from there on, not from ").append(entry.scanMode().value());
        }
      } else {
        out.append("CHANGED, keeps ").append(String.join("; ", keeps)).append("; starts afresh: ")
            .append(String.join("; ", fresh));
        losing.add(name);
      }
      if (gateNew && ownCarried) {
        out.append("; its late-record gate starts with the next watermark (no saved one)");
      }
      out.append('\n');
    }

    Map<String, List<OperatorIds.Operator>> tables = new LinkedHashMap<>();
    Map<String, List<OperatorIds.Operator>> maintenance = new LinkedHashMap<>();
    for (OperatorIds.Operator o : operators) {
      if (o.state().isPresent() && o.pipeline().isEmpty() && !isSource(o)) {
        (o.state().get().startsWith("maintenance") ? maintenance : tables)
            .computeIfAbsent(o.table().orElse(o.uid()), t -> new ArrayList<>()).add(o);
      }
    }
    tables.forEach((table, ops) -> out.append("table ").append(table).append(": ")
        .append(carried(ops, savepoint, ids) ? "keeps its state" : "starts afresh").append('\n'));
    if (!maintenance.isEmpty()) {
      List<String> kept = new ArrayList<>();
      List<String> fresh = new ArrayList<>();
      maintenance.forEach((table, ops) -> (carried(ops, savepoint, ids) ? kept : fresh).add(table));
      out.append("table maintenance:").append(kept.isEmpty() ? "" : " keeps its state for " + String.join(", ", kept))
          .append(!kept.isEmpty() && !fresh.isEmpty() ? ";" : "")
          .append(fresh.isEmpty() ? "" : " starts afresh for " + String.join(", ", fresh)).append('\n');
    }

    Map<OperatorID, String> known = candidates(all, maintenanceOfAll, namespace);
    List<String> dropped = new ArrayList<>();
    int empty = 0;
    for (Map.Entry<OperatorID, SavepointMetadata.Held> e : savepoint.operators().entrySet()) {
      if (inJob.contains(e.getKey())) {
        continue;
      }
      if (!e.getValue().hasState()) {
        empty++; // an operator without state: Flink skips it
        continue;
      }
      dropped.add(Optional.ofNullable(known.get(e.getKey())).orElse("operator " + e.getKey() + " (" + e.getValue()
          + "), of a pipeline or setting no longer in this job"));
    }
    if (dropped.isEmpty()) {
      out.append("dropped: nothing").append(empty > 0 ? " (" + empty + " operators of the savepoint held no state)" : "")
          .append('\n');
    } else {
      out.append("DROPPED (in the savepoint, no operator of this job takes it):\n");
      dropped.forEach(d -> out.append("  - ").append(d).append('\n'));
    }
    out.append(dropped.isEmpty()
        ? "restores without allowNonRestoredState"
        : "needs allowNonRestoredState (flink run --allowNonRestoredState; on Managed Flink AllowNonRestoredState), "
            + "which drops the state above")
        .append(losing.isEmpty() ? "" : "; pipelines that start part of their state afresh: " + losing).append('\n');
    return new RestoreReport(out.toString(), !dropped.isEmpty(), losing);
  }

  private static boolean carried(List<OperatorIds.Operator> ops, SavepointMetadata savepoint,
      Map<String, OperatorID> ids) {
    return ops.stream().allMatch(o -> savepoint.operators().containsKey(ids.get(o.uid())));
  }

  private static boolean isSource(OperatorIds.Operator o) {
    return o.uid().startsWith(OperatorIds.SOURCE_PREFIX);
  }

  private static String describe(OperatorIds.Operator o) {
    return o.state().get() + (isSource(o) && o.pipelines().size() > 1 ? " (read for " + String.join(", ",
        o.pipelines()) + ")" : "");
  }

  /**
   * Names for state this job does not take: the reads and tables of every entry of topics.yaml, disabled ones
   * included, under each name they could have had.
   */
  private static Map<OperatorID, String> candidates(List<TopicDef> all, Map<String, String> maintenanceOfAll,
      String namespace) {
    Map<String, String> names = new LinkedHashMap<>();
    maintenanceOfAll.forEach((uid, table) -> names.put(uid, "maintenance of table " + table));
    for (TopicDef t : all) {
      String by = " (entry '" + t.name() + "'" + (t.enabled() ? ")" : ", disabled)");
      names.putIfAbsent(OperatorIds.SOURCE_PREFIX + t.topic(), "position in Kafka topic " + t.topic()
          + " of the read as it was");
      names.putIfAbsent(OperatorIds.SOURCE_PREFIX + t.topic() + " for " + t.name(), "position in Kafka topic "
          + t.topic() + " of the read as it was" + by);
      String table = namespace + "." + t.sink().tableName();
      names.putIfAbsent(OperatorIds.tableUid(table, "committer"), "Iceberg commit of table " + table + by);
      String dlq = namespace + "." + t.deadLetterTable();
      names.putIfAbsent(OperatorIds.tableUid(dlq, "committer"), "Iceberg commit of table " + dlq);
      names.putIfAbsent(LateRecords.gateUid(t.name()), "watermark of the late-record gate" + by);
    }
    String late = namespace + "." + LateRecordsTable.NAME;
    names.putIfAbsent(OperatorIds.tableUid(late, "committer"), "Iceberg commit of table " + late);
    Map<String, OperatorID> ids = OperatorIds.operatorIds(names.keySet());
    Map<OperatorID, String> out = new LinkedHashMap<>();
    names.forEach((uid, what) -> out.put(ids.get(uid), what + " [uid '" + uid + "']"));
    return out;
  }

  /** The report, one line per pipeline, table and dropped state. */
  public String text() {
    return text;
  }

  /** Whether some of the savepoint's state has no operator in this job: Flink refuses such a restore by default. */
  public boolean needsAllowNonRestoredState() {
    return needsAllowNonRestoredState;
  }

  /** The pipelines that run on with part of their state started afresh (a changed window, a lost position). */
  public List<String> pipelinesLosingState() {
    return losing;
  }

  /** What {@code --validate --savepoint} judges: a deployment that keeps every pipeline's state as it was. */
  public boolean keepsEverything() {
    return !needsAllowNonRestoredState && losing.isEmpty();
  }
}
