package io.github.streamingjob.job;

import io.github.streamingjob.source.LateRecords;
import io.github.streamingjob.source.SharedKafkaSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamGraphHasherV2;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.transformations.KeyedMultipleInputTransformation;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.api.transformations.PartitionTransformation;
import org.apache.flink.streaming.api.transformations.SideOutputTransformation;
import org.apache.flink.streaming.api.transformations.SourceTransformation;
import org.apache.flink.streaming.api.transformations.TwoInputTransformation;
import org.apache.flink.streaming.api.transformations.UnionTransformation;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;

/**
 * The one place the job's operators are named. Flink files an operator's state under its uid, and an operator
 * without one gets an id from its position in the whole graph, which moves whenever any pipeline is added,
 * removed or reordered: a savepoint then no longer restores, or restores into the wrong operator. So every
 * operator gets a uid made of names a user chose or a table has, never of positions:
 *
 * <ul>
 *   <li>a Kafka source, from the topic it reads: {@code kafka-source: <topic>}, or {@code kafka-source: <topic>
 *       for <entry>} when several sources read that topic (entries that cannot share one read);
 *   <li>a pipeline's SQL operator, from the entry and what the operator is: {@code pipeline <entry>: <Kind>
 *       <digest>}, the digest covering the operator's definition and row types, which decide the shape of its
 *       state. An edit that keeps them keeps the state; one that changes them (a window's size, an aggregate
 *       added) gives the operator a new id, so it starts afresh instead of restoring state that no longer fits;
 *   <li>Iceberg's writer and committer, from their table: {@code table <namespace>.<table>: committer}.
 * </ul>
 */
public final class OperatorIds {
  static final String SOURCE_PREFIX = "kafka-source: ";
  static final String ICEBERG_WRITER = "IcebergStreamWriter";
  static final String ICEBERG_COMMITTER = "IcebergFilesCommitter";

  private OperatorIds() {}

  /** One operator of the job: its uid, whose it is, and the state it keeps. */
  public static final class Operator {
    private final String uid;
    private final List<String> pipelines;
    private final boolean owned;
    private final String table;
    private final String state;

    Operator(String uid, Collection<String> pipelines, boolean owned, String table, String state) {
      this.uid = uid;
      this.pipelines = List.copyOf(new TreeSet<>(pipelines));
      this.owned = owned && this.pipelines.size() == 1;
      this.table = table;
      this.state = state;
    }

    /** An operator of a table's maintenance. */
    static Operator maintenance(String uid, String table) {
      return new Operator(uid, List.of(), false, table, "maintenance of table " + table);
    }

    public String uid() {
      return uid;
    }

    /** The one pipeline it is part of; empty for a read several entries share, or a dead-letter table's. */
    public Optional<String> pipeline() {
      return owned ? Optional.of(pipelines.get(0)) : Optional.empty();
    }

    /** The entries it works for: one for a pipeline's operator, several for a shared read or a dead-letter table. */
    public List<String> pipelines() {
      return pipelines;
    }

    /** The Iceberg table of a writer or committer ({@code namespace.table}). */
    public Optional<String> table() {
      return Optional.ofNullable(table);
    }

    /** What its state is, for people ("position in Kafka topic t"); empty for an operator that keeps none. */
    public Optional<String> state() {
      return Optional.ofNullable(state);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Operator && uid.equals(((Operator) o).uid) && pipelines.equals(((Operator) o).pipelines)
          && owned == ((Operator) o).owned && Objects.equals(table, ((Operator) o).table) && Objects.equals(state, ((Operator) o).state);
    }

    @Override
    public int hashCode() {
      return uid.hashCode();
    }

    @Override
    public String toString() {
      return uid + (state == null ? "" : " [" + state + "]");
    }
  }

  /** Whether the INSERTs were translated into Iceberg's sink, or into the stand-ins {@code --validate} plans against. */
  enum Sinks { ICEBERG, STAND_INS }

  /**
   * Gives every operator of {@code env} a uid. {@code env} holds the job's INSERTs and nothing else, translated
   * (attached) in the order of {@code inserts}. With {@link Sinks#STAND_INS} the Iceberg writers and committers are
   * not in the graph; they are listed all the same, with the uids the job gives them. Refuses a graph it cannot
   * name completely, or where two operators would get one uid.
   */
  static List<Operator> assign(StreamExecutionEnvironment env, List<JobPlanner.Insert> inserts, String namespace,
      Sinks sinks) {
    // The INSERTs' sinks: operators added to the environment on the way (a late-record gate) feed one of them.
    Set<Transformation<?>> feeding = new java.util.HashSet<>();
    env.getTransformations().forEach(t -> t.getTransitivePredecessors().stream().filter(p -> p != t)
        .forEach(feeding::add));
    List<Transformation<?>> roots = env.getTransformations().stream().filter(t -> !feeding.contains(t))
        .collect(Collectors.toList());
    if (roots.size() != inserts.size()) {
      throw new IllegalStateException("expected one translated INSERT per table (" + inserts.size() + "), found "
          + roots.size());
    }
    Map<Transformation<?>, String> uids = new LinkedHashMap<>();
    List<Operator> operators = new ArrayList<>();
    // The SQL operators under each INSERT, and which INSERTs each of them feeds.
    Map<Transformation<?>, Set<Integer>> feeds = new LinkedHashMap<>();
    List<Transformation<?>> tops = new ArrayList<>();
    for (int i = 0; i < inserts.size(); i++) {
      JobPlanner.Insert insert = inserts.get(i);
      Transformation<?> root = roots.get(i);
      String table = namespace + "." + insert.table().tableName();
      if (!root.getName().contains(insert.table().tableName())) {
        throw new IllegalStateException("the INSERT into " + table + " was translated as '" + root.getName() + "'");
      }
      List<String> writers = entries(insert);
      Transformation<?> top = input(root);
      if (sinks == Sinks.ICEBERG) {
        Transformation<?> committer = top;
        Transformation<?> writer = input(committer);
        if (!committer.getName().equals(ICEBERG_COMMITTER) || !writer.getName().equals(ICEBERG_WRITER)) {
          // A newer Iceberg built its sink differently: refuse rather than run with ids that may not hold.
          throw new IllegalStateException("cannot find Iceberg's writer and committer of table " + table + " (found '"
              + writer.getName() + "' and '" + committer.getName() + "')");
        }
        uids.put(root, tableUid(table, "sink"));
        uids.put(committer, tableUid(table, "committer"));
        uids.put(writer, tableUid(table, "writer"));
        top = input(writer);
      }
      boolean owned = !insert.deadLetters();
      operators.add(new Operator(tableUid(table, "sink"), writers, owned, table, null));
      operators.add(new Operator(tableUid(table, "committer"), writers, owned, table, "Iceberg commit of table " + table));
      operators.add(new Operator(tableUid(table, "writer"), writers, owned, table, null));
      tops.add(top);
      markFeeds(top, i, feeds);
    }

    Map<String, String> sourceUids = sourceUids(inserts);
    Map<String, List<String>> sourceMembers = new HashMap<>();
    inserts.forEach(i -> i.pipelines().forEach(p -> sourceMembers.put(p.source().scannedTableName(),
        p.source().members().stream().map(m -> m.name()).collect(Collectors.toList()))));
    Map<String, Integer> seen = new HashMap<>();
    for (Map.Entry<Transformation<?>, Set<Integer>> e : feeds.entrySet()) {
      Transformation<?> t = e.getKey();
      if (isVirtual(t)) {
        continue; // Exchanges and unions are edges of the graph, not operators: no state, no id
      }
      Set<String> owners = new TreeSet<>();
      for (int i : e.getValue()) {
        owners.addAll(entries(inserts.get(i)));
      }
      String kind = kind(t);
      String uid;
      String state;
      boolean owned = e.getValue().size() == 1 && !inserts.get(e.getValue().iterator().next()).deadLetters();
      if (t.getUid() != null && t.getUid().endsWith(LateRecords.GATE_UID_SUFFIX)) {
        uid = t.getUid(); // named where it is made, from its entry: its state is the entry's watermark
        state = "watermark of its late-record gate";
        owners.clear();
        owners.add(uid.substring(LateRecords.GATE_UID_PREFIX.length(), uid.length() - LateRecords.GATE_UID_SUFFIX.length()));
        owned = true;
      } else if (t instanceof SourceTransformation && sourceUids.containsKey(kind)) {
        uid = sourceUids.get(kind);
        state = "position in Kafka topic " + uid.substring(uid.indexOf(": ") + 2);
        owners.clear();
        owners.addAll(sourceMembers.get(kind));
        owned = true; // by its one member, if it has one
      } else {
        String owner = owner(e.getValue(), inserts, namespace);
        String base = owner + ": " + kind + " " + digest(t);
        int n = seen.merge(base, 1, Integer::sum);
        uid = n == 1 ? base : base + " #" + n;
        state = keyed(t) ? kind + " state" : null;
      }
      uids.put(t, uid);
      operators.add(new Operator(uid, owners, owned, null, state));
    }

    Map<String, Transformation<?>> byUid = new HashMap<>();
    uids.forEach((t, uid) -> {
      Transformation<?> other = byUid.putIfAbsent(uid, t);
      if (other != null) {
        throw new IllegalStateException("two operators would get the uid '" + uid + "': " + other.getName() + " and "
            + t.getName());
      }
    });
    uids.forEach(Transformation::setUid);
    return List.copyOf(operators);
  }

  /**
   * What {@code --validate} prints: the names each pipeline's state is filed under in checkpoints and savepoints,
   * and what a disabled entry means for a restore.
   */
  static String describe(List<Operator> operators, List<io.github.streamingjob.config.TopicDef> all,
      List<String> running) {
    StringBuilder out = new StringBuilder("-- state, filed in savepoints under names (never positions: add, remove, "
        + "reorder entries freely):\n");
    for (String pipeline : running) {
      out.append("--   ").append(pipeline).append(": ").append(operators.stream().sorted(READ_STATE_COMMIT)
          .filter(o -> o.state().isPresent() && (o.pipeline().map(pipeline::equals).orElse(false)
              || o.uid().startsWith(SOURCE_PREFIX) && o.pipelines().contains(pipeline)))
          .map(o -> "'" + o.uid() + "'" + (o.uid().startsWith(SOURCE_PREFIX) && o.pipelines().size() > 1
              ? " (read once for " + String.join(", ", o.pipelines()) + ")" : ""))
          .collect(Collectors.joining(", "))).append('\n');
    }
    operators.stream().filter(o -> o.state().isPresent() && o.pipeline().isEmpty() && o.table().isPresent()
        && !o.state().get().startsWith("maintenance"))
        .forEach(o -> out.append("--   ").append(String.join(", ", o.pipelines())).append(o.table().get().endsWith("." + io.github.streamingjob.sink.LateRecordsTable.NAME)
            ? " (late records): '" : " (malformed records): '")
            .append(o.uid()).append("'\n"));
    for (io.github.streamingjob.config.TopicDef t : all) {
      if (!running.contains(t.name())) {
        out.append("--   ").append(t.name()).append(": not run. A savepoint of a job that ran it restores only with ")
            .append("allowNonRestoredState, which drops its state; --validate --savepoint <path> tells\n");
      }
    }
    return out.toString();
  }

  /** A pipeline's operators in the order its records pass them: its read, its operators' state, its table's commit. */
  static final java.util.Comparator<Operator> READ_STATE_COMMIT = java.util.Comparator.comparingInt(
      o -> o.uid().startsWith(SOURCE_PREFIX) ? 0 : o.table().isPresent() ? 2 : 1);

  /** The uid of a writer, committer or sink of an Iceberg table. */
  static String tableUid(String qualifiedTable, String role) {
    return "table " + qualifiedTable + ": " + role;
  }

  /**
   * Each Kafka source table's uid: the topic, and when several sources read it, the first of the entries each
   * reads for. Never a position, never another topic: a source can only restore the offsets of its own topic.
   */
  static Map<String, String> sourceUids(List<JobPlanner.Insert> inserts) {
    Map<String, SharedKafkaSource> sources = new LinkedHashMap<>();
    inserts.forEach(i -> i.pipelines().forEach(p -> sources.putIfAbsent(p.source().scannedTableName(), p.source())));
    Map<String, Long> perTopic = sources.values().stream()
        .collect(Collectors.groupingBy(SharedKafkaSource::topic, Collectors.counting()));
    Map<String, String> uids = new LinkedHashMap<>();
    sources.forEach((table, s) -> uids.put(table, SOURCE_PREFIX + s.topic()
        + (perTopic.get(s.topic()) > 1 ? " for " + s.members().get(0).name() : "")));
    return uids;
  }

  private static List<String> entries(JobPlanner.Insert insert) {
    return insert.pipelines().stream().map(p -> p.topic().name()).collect(Collectors.toList());
  }

  private static String owner(Set<Integer> feeds, List<JobPlanner.Insert> inserts, String namespace) {
    if (feeds.size() == 1) {
      JobPlanner.Insert insert = inserts.get(feeds.iterator().next());
      return insert.deadLetters() ? "table " + namespace + "." + insert.table().tableName()
          : "pipeline " + insert.pipelines().get(0).topic().name();
    }
    // The planner reused one operator for several INSERTs (identical sub-queries of one source).
    Set<String> names = new TreeSet<>();
    feeds.forEach(i -> names.add(inserts.get(i).deadLetters() ? namespace + "." + inserts.get(i).table().tableName()
        : inserts.get(i).pipelines().get(0).topic().name()));
    return "pipelines " + String.join(", ", names);
  }

  /** Depth first from an INSERT's top operator to its sources, inputs in order: the same order for the same query. */
  private static void markFeeds(Transformation<?> top, int insert, Map<Transformation<?>, Set<Integer>> feeds) {
    List<Transformation<?>> stack = new ArrayList<>(List.of(top));
    Set<Transformation<?>> visited = new LinkedHashSet<>();
    while (!stack.isEmpty()) {
      Transformation<?> t = stack.remove(stack.size() - 1);
      if (!visited.add(t)) {
        continue;
      }
      feeds.computeIfAbsent(t, x -> new TreeSet<>()).add(insert);
      List<Transformation<?>> inputs = new ArrayList<>(t.getInputs());
      java.util.Collections.reverse(inputs);
      stack.addAll(inputs);
    }
  }

  private static Transformation<?> input(Transformation<?> t) {
    if (t.getInputs().size() != 1) {
      throw new IllegalStateException("expected one input of '" + t.getName() + "', found " + t.getInputs().size());
    }
    return t.getInputs().get(0);
  }

  private static boolean isVirtual(Transformation<?> t) {
    return t instanceof PartitionTransformation || t instanceof UnionTransformation
        || t instanceof SideOutputTransformation;
  }

  /** Whether Flink may keep keyed state for it: every stateful SQL operator (aggregates, windows, joins) is keyed. */
  private static boolean keyed(Transformation<?> t) {
    return t instanceof OneInputTransformation && ((OneInputTransformation<?, ?>) t).getStateKeySelector() != null
        || t instanceof TwoInputTransformation && (((TwoInputTransformation<?, ?, ?>) t).getStateKeySelector1() != null
            || ((TwoInputTransformation<?, ?, ?>) t).getStateKeySelector2() != null)
        || t instanceof KeyedMultipleInputTransformation;
  }

  /** The operator's kind as the planner names it, without the plan's node number: {@code GlobalWindowAggregate}. */
  static String kind(Transformation<?> t) {
    return t.getName().replaceFirst("\\[\\d+]$", "");
  }

  /**
   * Eight hex digits of what shapes the operator's state: its definition as the planner describes it (grouping,
   * window, aggregates) and the types of the rows it takes and gives, without the plan's node numbers, which move
   * with every other query. Both Flink lines describe the same query alike.
   */
  static String digest(Transformation<?> t) {
    StringBuilder s = new StringBuilder(kind(t)).append('\n');
    s.append(Optional.ofNullable(t.getDescription()).orElse("").replaceFirst("^\\[\\d+]:", "")).append('\n');
    t.getInputs().forEach(i -> s.append(type(i.getOutputType())).append('\n'));
    s.append(type(t.getOutputType()));
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
      StringBuilder hex = new StringBuilder();
      for (int i = 0; i < 4; i++) {
        hex.append(String.format("%02x", hash[i]));
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String type(TypeInformation<?> type) {
    return type instanceof InternalTypeInfo ? ((InternalTypeInfo<?>) type).toLogicalType().asSummaryString()
        : String.valueOf(type);
  }

  /**
   * The ids Flink derives from these uids, computed by Flink itself (its stream graph hasher), as a savepoint's
   * metadata records them.
   */
  static Map<String, OperatorID> operatorIds(Collection<String> uids) {
    StreamExecutionEnvironment env = new StreamExecutionEnvironment();
    Map<Integer, String> uidOfNode = new HashMap<>();
    for (String uid : new LinkedHashSet<>(uids)) {
      var stream = env.fromSequence(0, 0).uid(uid);
      uidOfNode.put(stream.getId(), uid);
      stream.sinkTo(new DiscardingSink<>()).uid(uid + " (sink)");
    }
    StreamGraph graph = env.getStreamGraph(false);
    Map<Integer, byte[]> hashes = new StreamGraphHasherV2().traverseStreamGraphAndGenerateHashes(graph);
    Map<String, OperatorID> ids = new LinkedHashMap<>();
    for (StreamNode node : graph.getStreamNodes()) {
      String uid = uidOfNode.get(node.getId());
      if (uid != null) {
        ids.put(uid, new OperatorID(hashes.get(node.getId())));
      }
    }
    return ids;
  }
}
