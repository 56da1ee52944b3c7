package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.catalog.IcebergCatalogs;
import io.github.streamingjob.sink.SinkTables;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.TopicsYaml;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.flink.FlinkCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operators' uids, which Flink files their state under, across the changes users make: they come from names
 * (topics, entries, tables), so a change to one pipeline leaves every other pipeline's ids as they were.
 */
class OperatorIdsTest {
  static final String WINDOW = "pipeline bid-events-aggregated: GlobalWindowAggregate 6f58866d";
  /** The window pipeline's late-record gate: its watermark, named by its entry. */
  static final String GATE = "pipeline bid-events-aggregated: late-record gate";

  @TempDir Path dir;
  private int configs;

  /** The job's operators as {@code run} names them: the INSERTs translated into Iceberg's sink. */
  private List<OperatorIds.Operator> real(TopicsYaml topics) {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    StreamingJob.Assembly job = translated(args(topics), env);
    List<OperatorIds.Operator> operators =
        OperatorIds.assign(env, JobPlanner.inserts(job.pipelines), "ns", OperatorIds.Sinks.ICEBERG);
    lastJobGraphIds = new HashSet<>();
    for (JobVertex v : env.getStreamGraph().getJobGraph().getVertices()) {
      v.getOperatorIDs().forEach(pair -> lastJobGraphIds.add(pair.getGeneratedOperatorID()));
    }
    return operators;
  }

  private Set<OperatorID> lastJobGraphIds;

  /** The job's INSERTs translated into {@code env} as {@code run} translates them, its tables created. */
  static StreamingJob.Assembly translated(CliArgs cli, StreamExecutionEnvironment env) {
    return translated(cli, env, true);
  }

  /** {@code keepLate} false: as the versions before late records were kept translated them. */
  static StreamingJob.Assembly translated(CliArgs cli, StreamExecutionEnvironment env, boolean keepLate) {
    StreamingJob.Assembly job = StreamingJob.Assembly.of(cli, env, JobSources.fromArgs(cli), keepLate);
    FlinkCatalog catalog = IcebergCatalogs.create(job.settings.catalog);
    SinkTables.check(catalog.catalog(), job.settings.catalog.namespace(), JobPlanner.tables(job.pipelines),
        job.settings.catalog.locationRoot()).apply();
    IcebergCatalogs.register(job.tableEnv, job.settings.catalog, catalog);
    job.planner.addInserts(job.tableEnv.createStatementSet(), job.pipelines).attachAsDataStream();
    return job;
  }

  /** The same, as {@code --validate} names them, from the plan against the stand-ins. */
  private List<OperatorIds.Operator> validated(TopicsYaml topics) {
    CliArgs cli = args(topics);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    StreamingJob.Assembly job = StreamingJob.Assembly.of(cli, env, JobSources.fromArgs(cli));
    return job.planner.operatorsAgainstStandInSinks(env, job.pipelines);
  }

  private CliArgs args(TopicsYaml topics) {
    Path config = topics.writeTo(dir.resolve("config-" + ++configs));
    Path props = PropertiesFile.local("localhost:9092", dir.resolve("warehouse"), "ns").set("Job", "parallelism", "2")
        .writeTo(dir.resolve("props.json"));
    return CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
  }

  private static List<String> stateful(List<OperatorIds.Operator> operators) {
    return operators.stream().filter(o -> o.state().isPresent()).map(OperatorIds.Operator::uid).sorted()
        .collect(Collectors.toList());
  }

  private static List<String> stateful(List<OperatorIds.Operator> operators, String pipeline) {
    return operators.stream().filter(o -> o.state().isPresent() && o.pipeline().map(pipeline::equals).orElse(false))
        .map(OperatorIds.Operator::uid).sorted().collect(Collectors.toList());
  }

  private static List<String> without(List<String> uids, List<String> removed) {
    List<String> out = new ArrayList<>(uids);
    out.removeAll(removed);
    return out;
  }

  /**
   * The shipped job's stateful operators, pinned: the same on both Flink lines (a 1.20 savepoint restores on 2.2) and
   * the same whether {@code --validate} plans the job against its stand-ins or the job runs it against Iceberg. And
   * each is the id Flink gives the operator, as a savepoint records it.
   */
  @Test
  void theShippedJobsStatefulOperatorsAreNamedByTopicWindowAndTable() {
    List<OperatorIds.Operator> real = real(TopicsYaml.shipped());
    assertThat(stateful(real)).containsExactly(
        "kafka-source: bid-events",
        "kafka-source: order-events",
        "kafka-source: shop.public.customers",
        "kafka-source: user-activity",
        WINDOW,
        GATE,
        "table ns.bid_events_aggregated: committer",
        "table ns.bid_events_raw: committer",
        "table ns.customers: committer",
        "table ns.dead_letters: committer",
        "table ns.late_records: committer",
        "table ns.order_events_enriched: committer",
        "table ns.user_events_processed: committer");
    assertThat(validated(TopicsYaml.shipped())).isEqualTo(real);
    assertThat(real.stream().filter(o -> o.uid().equals("kafka-source: bid-events")).findFirst().orElseThrow()
        .pipelines()).containsExactly("bid-events", "bid-events-aggregated");
    Map<String, OperatorID> ids = OperatorIds.operatorIds(stateful(real));
    assertThat(lastJobGraphIds).containsAll(ids.values());
  }

  @Test
  void theOrderOfTheEntriesChangesNoId() {
    assertThat(validated(TopicsYaml.shipped().reversed())).containsExactlyInAnyOrderElementsOf(
        validated(TopicsYaml.shipped()));
  }

  /** A pipeline added (as the first entry) or disabled leaves every other pipeline's ids as they were. */
  @Test
  void addingOrDisablingAPipelineLeavesTheOthersAlone() {
    List<String> before = stateful(validated(TopicsYaml.shipped()));
    TopicsYaml added = TopicsYaml.shipped().add("page-views", "user-activity", true,
        Map.of("kafka_group_id", "flink-page-views-v1", "sink.table_name", "page_views"));
    assertThat(stateful(validated(added))).containsExactlyInAnyOrderElementsOf(new ArrayList<>(before) {
      {
        add("kafka-source: page-views");
        add("table ns.page_views: committer");
      }
    });
    List<String> disabled = stateful(validated(TopicsYaml.shipped().set("order-events", "enabled", false)));
    assertThat(disabled).containsExactlyInAnyOrderElementsOf(
        without(before, List.of("kafka-source: order-events", "table ns.order_events_enriched: committer")));
    // The raw bids disabled: the aggregation still reads bid-events under the same name, with the same position.
    assertThat(stateful(validated(TopicsYaml.shipped().set("bid-events", "enabled", false))))
        .containsExactlyInAnyOrderElementsOf(without(before, List.of("table ns.bid_events_raw: committer")));
  }

  /**
   * A WHERE added to the window's query, or a nullable column added to a topic, its table and its query, keep every
   * id; a longer window gives the window operator a new one (its saved windows no longer fit), and nothing else.
   */
  @Test
  void editsKeepTheIdsOfStateThatStillFits() {
    List<String> before = stateful(validated(TopicsYaml.shipped()));
    assertThat(stateful(validated(TopicsYaml.shipped()
        .set("bid-events-aggregated", "transformation", "small_bids_per_user")))).isEqualTo(before);
    assertThat(stateful(validated(TopicsYaml.shipped()
        .addColumn("user-activity", "source_schema", "referrer", "STRING")
        .addColumn("user-activity", "sink.schema", "referrer", "STRING")
        .set("user-activity", "transformation", "user_events_with_referrer")))).isEqualTo(before);

    List<String> longer = stateful(validated(TopicsYaml.shipped()
        .set("bid-events-aggregated", "transformation", "bids_per_user_per_two_minutes")),
        "bid-events-aggregated");
    assertThat(longer).hasSize(3).contains("table ns.bid_events_aggregated: committer", GATE).doesNotContain(WINDOW)
        .anySatisfy(uid -> assertThat(uid).startsWith("pipeline bid-events-aggregated: GlobalWindowAggregate "));
  }

  /**
   * A renamed entry keeps its read and its table's commits but not its operators' state; a renamed table keeps
   * the read and the window but not the commits; another Kafka topic keeps no position. Each gets a name no
   * savepoint has, so nothing is restored where it no longer belongs.
   */
  @Test
  void renamesMoveOnlyWhatTheyName() {
    List<String> before = stateful(validated(TopicsYaml.shipped()));
    TopicsYaml renamed = TopicsYaml.shipped().add("bids-per-minute", "bid-events-aggregated", false, Map.of())
        .set("bid-events-aggregated", "enabled", false);
    assertThat(stateful(validated(renamed))).containsExactlyInAnyOrderElementsOf(new ArrayList<>(without(before,
        List.of(WINDOW, GATE))) {
      {
        add("pipeline bids-per-minute: GlobalWindowAggregate 6f58866d");
        add("pipeline bids-per-minute: late-record gate");
      }
    });
    assertThat(stateful(validated(TopicsYaml.shipped().set("order-events", "sink.table_name", "orders"))))
        .containsExactlyInAnyOrderElementsOf(new ArrayList<>(without(before,
            List.of("table ns.order_events_enriched: committer"))) {
          {
            add("table ns.orders: committer");
          }
        });
    assertThat(stateful(validated(TopicsYaml.shipped().set("order-events", "topic", "orders-v2"))))
        .contains("kafka-source: orders-v2").doesNotContain("kafka-source: order-events");
  }

  /** Entries on one topic that cannot share a read get a read each, named by topic and entry: no collision. */
  @Test
  void twoReadsOfOneTopicAreNamedByTheirEntries() {
    List<OperatorIds.Operator> split = validated(TopicsYaml.shipped()
        .set("bid-events-aggregated", "format_options", Map.of("timestamp-format.standard", "ISO-8601")));
    assertThat(stateful(split)).contains("kafka-source: bid-events for bid-events",
        "kafka-source: bid-events for bid-events-aggregated").doesNotContain("kafka-source: bid-events");
    assertThat(split.stream().map(OperatorIds.Operator::uid).distinct().count()).isEqualTo(split.size());
  }
}
