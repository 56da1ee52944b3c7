package io.github.streamingjob.source;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.ScanMode;
import io.github.streamingjob.config.TopicDef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One Kafka source table and the entries of topics.yaml that read it. Entries on the same Kafka topic that
 * decode it the same way from the same position (format and its options, physical columns, client
 * properties, start, error handling) share one table: Flink then reads and decodes the topic once and
 * fans the rows out to each entry's view and transformer. The table carries every member's computed
 * columns and the watermark (members may declare at most the same one); offsets are committed under the
 * {@code kafka_group_id} of the member whose name sorts first. Malformed records still reach the dead-letter
 * table once per entry, as before. Entries are grouped in the order of their names, so the order of topics.yaml
 * never changes which entries share a read.
 */
public final class SharedKafkaSource {
  private final List<TopicDef> members;
  private final TopicDef table;
  private final boolean keepLate;

  private SharedKafkaSource(List<TopicDef> members, TopicDef table, boolean keepLate) {
    this.members = List.copyOf(members);
    this.table = table;
    this.keepLate = keepLate;
  }

  /** Set (to true) only to measure what sharing saves: every entry then reads its topic itself. */
  public static final String SEPARATE_SOURCES_PROPERTY = "streamingjob.benchmark.separate-sources";

  /** The entries grouped by what can share a source, in the order of their first member's name. */
  public static List<SharedKafkaSource> group(List<TopicDef> topics) {
    return group(topics, true);
  }

  /**
   * With {@code keepLate} false the members' late records are not kept ({@link #gatesLateRecords}): the job as the
   * versions before planned it, for {@code MigrateSavepoint}'s ids of those versions.
   */
  public static List<SharedKafkaSource> group(List<TopicDef> topics, boolean keepLate) {
    boolean separate = Boolean.getBoolean(SEPARATE_SOURCES_PROPERTY);
    List<List<TopicDef>> groups = new ArrayList<>();
    List<TopicDef> byName = new ArrayList<>(topics);
    byName.sort(java.util.Comparator.comparing(TopicDef::name));
    for (TopicDef t : byName) {
      if (separate) {
        groups.add(new ArrayList<>(List.of(t)));
        continue;
      }
      Optional<List<TopicDef>> fit = groups.stream().filter(g -> g.stream().allMatch(m -> canShare(m, t))).findFirst();
      if (fit.isPresent()) {
        fit.get().add(t);
      } else {
        groups.add(new ArrayList<>(List.of(t)));
      }
    }
    return groups.stream().map(g -> new SharedKafkaSource(g, merge(g), keepLate)).collect(Collectors.toList());
  }

  static boolean canShare(TopicDef a, TopicDef b) {
    if (!KafkaSourceTable.keepsMalformed(a) || !KafkaSourceTable.keepsMalformed(b)
        || !a.topic().equals(b.topic()) || !a.format().equals(b.format())
        || !a.formatOptions().equals(b.formatOptions()) || !a.kafkaProperties().equals(b.kafkaProperties())
        || a.scanMode() != b.scanMode() || !a.startupTimestampMillis().equals(b.startupTimestampMillis())
        || a.onError() != b.onError() || !physical(a).equals(physical(b))
        || !a.sink().primaryKey().equals(b.sink().primaryKey()) && (a.changeData() || b.changeData())) {
      return false;
    }
    if (a.scanMode() == ScanMode.GROUP_OFFSETS && !a.kafkaGroupId().equals(b.kafkaGroupId())) {
      return false; // each starts where its own group stopped
    }
    Map<String, String> computed = computed(a);
    for (Map.Entry<String, String> c : computed(b).entrySet()) {
      if (computed.containsKey(c.getKey()) && !computed.get(c.getKey()).equals(c.getValue())) {
        return false;
      }
    }
    return a.watermark().isEmpty() || b.watermark().isEmpty() || a.watermark().equals(b.watermark());
  }

  private static TopicDef merge(List<TopicDef> members) {
    TopicDef first = members.get(0);
    Map<String, ColumnDef> columns = new LinkedHashMap<>();
    members.forEach(m -> m.sourceSchema().forEach(c -> columns.putIfAbsent(c.name(), c)));
    TopicDef.Builder b = first.toBuilder().sourceSchema(new ArrayList<>(columns.values()));
    members.stream().map(TopicDef::watermark).flatMap(Optional::stream).findFirst().ifPresent(b::watermark);
    return b.build();
  }

  private static List<ColumnDef> physical(TopicDef t) {
    return t.sourceSchema().stream().filter(c -> !c.isComputed()).collect(Collectors.toList());
  }

  private static Map<String, String> computed(TopicDef t) {
    Map<String, String> out = new LinkedHashMap<>();
    t.sourceSchema().stream().filter(ColumnDef::isComputed).forEach(c -> out.put(c.name(), c.expression().orElseThrow()));
    return out;
  }

  /** The names of the entries reading this table, in order. */
  public List<String> memberNames() {
    return members.stream().map(TopicDef::name).collect(Collectors.toList());
  }

  /** The entries reading this table, in the order of their names. */
  public List<TopicDef> members() {
    return members;
  }

  /** The table: the first member, with every member's computed columns and the watermark. */
  public TopicDef table() {
    return table;
  }

  /** The name of the table every member's view and dead-letter query read. */
  public String rawTableName() {
    return KafkaSourceTable.rawTableName(table);
  }

  /**
   * Whether the members with event time get their late records kept ({@link LateRecords}): the source is then read
   * as a stream. Not for change data (updates are no records to judge one by one) nor with {@code on_error: fail}.
   */
  public boolean gatesLateRecords() {
    return keepLate && table.watermark().isPresent() && KafkaSourceTable.keepsMalformed(table) && !table.changeData();
  }

  /** The name every member's view and dead-letter query read: the raw table, or the stream read from it. */
  public String readTableName() {
    return gatesLateRecords() ? KafkaSourceTable.tableName(table) + "__read" : rawTableName();
  }

  /** The table Flink scans: the raw table, or with {@code on_error: fail} (never shared) the entry's own. */
  public String scannedTableName() {
    return KafkaSourceTable.keepsMalformed(table) ? rawTableName() : KafkaSourceTable.tableName(table);
  }

  /** The Kafka topic read. */
  public String topic() {
    return table.topic();
  }

  /** The statements creating the table and each member's view; secrets hidden if asked. */
  public List<String> ddl(KafkaSettings kafka, boolean hideSecrets) {
    if (!KafkaSourceTable.keepsMalformed(table)) {
      return KafkaSourceTable.ddl(table, kafka, hideSecrets); // on_error: fail: the entry's own table, never shared
    }
    List<String> ddl = new ArrayList<>();
    ddl.add(KafkaSourceTable.ddl(table, kafka, hideSecrets, memberNames()).get(0));
    if (gatesLateRecords()) {
      ddl.add("-- read once as a stream (" + readTableName() + "); entries with event time get its records through a "
          + "late-record gate:\n-- the late ones go to the late-records table, the others (" + members.stream()
              .filter(m -> LateRecords.gated(m, this)).map(LateRecords::onTimeViewName).collect(Collectors.joining(", "))
          + ") to their query");
    }
    members.forEach(m -> ddl.add(KafkaSourceTable.view(m, LateRecords.gated(m, this) ? LateRecords.onTimeViewName(m)
        : readTableName())));
    return ddl;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SharedKafkaSource && members.equals(((SharedKafkaSource) o).members);
  }

  @Override
  public int hashCode() {
    return Objects.hash(members);
  }
}
