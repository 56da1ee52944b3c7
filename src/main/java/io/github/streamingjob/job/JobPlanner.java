package io.github.streamingjob.job;

import io.github.streamingjob.catalog.CatalogSettings;
import io.github.streamingjob.catalog.TableNames;
import io.github.streamingjob.config.ConfigException;
import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.JobConfig;
import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.Problems.At;
import io.github.streamingjob.config.SinkDef;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.sink.DeadLetterTable;
import io.github.streamingjob.sink.IcebergSinkTable;
import io.github.streamingjob.source.ComputedColumns;
import io.github.streamingjob.source.KafkaSettings;
import io.github.streamingjob.source.KafkaSourceTable;
import io.github.streamingjob.source.LateRecords;
import io.github.streamingjob.source.SharedKafkaSource;
import io.github.streamingjob.sink.LateRecordsTable;
import io.github.streamingjob.transform.BaseTransformer;
import io.github.streamingjob.transform.TransformerRegistry;
import io.github.streamingjob.util.Secrets;
import io.github.streamingjob.util.Sql;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.bridge.java.StreamStatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.types.logical.RowType;
import org.apache.iceberg.flink.FlinkSchemaUtil;

/**
 * Turns the configuration into pipelines: registers each topic's Kafka source table, instantiates its
 * transformer, and checks the SELECT against {@code sink.schema}, all without connecting anywhere.
 * Every problem of every topic is collected before anything is created or submitted.
 */
public final class JobPlanner {
  private final StreamTableEnvironment tableEnv;
  private final KafkaSettings kafka;
  private final CatalogSettings catalog;
  private final Secrets secrets;

  private final boolean keepLate;

  public JobPlanner(StreamTableEnvironment tableEnv, KafkaSettings kafka, CatalogSettings catalog, Secrets secrets) {
    this(tableEnv, kafka, catalog, secrets, true);
  }

  /** {@code keepLate} false: the job without late-record gates, as the versions before it planned it. */
  JobPlanner(StreamTableEnvironment tableEnv, KafkaSettings kafka, CatalogSettings catalog, Secrets secrets,
      boolean keepLate) {
    this.keepLate = keepLate;
    this.tableEnv = tableEnv;
    this.kafka = kafka;
    this.catalog = catalog;
    this.secrets = secrets;
  }

  /** Source tables registered, transformers created, queries planned; throws on any problem. */
  public List<Pipeline> plan(JobConfig config, List<TopicDef> topics) {
    Problems problems = new Problems();
    TransformerRegistry registry = new TransformerRegistry(Thread.currentThread().getContextClassLoader());
    List<Pipeline> pipelines = new ArrayList<>();
    List<TopicDef> canonical = new ArrayList<>();
    for (TopicDef configured : topics) {
      TopicDef topic = ComputedColumns.canonical(configured, tableEnv, at(configured), problems);
      if (topic != null) {
        canonical.add(topic);
      }
    }
    // Entries reading one Kafka topic the same way share one source: the topic is read and decoded once.
    java.util.Map<String, SharedKafkaSource> sourceOf = new java.util.HashMap<>();
    for (SharedKafkaSource source : SharedKafkaSource.group(canonical, keepLate)) {
      try {
        if (source.gatesLateRecords()) {
          LateRecords.register(tableEnv, source, kafka, this::execute);
        } else {
          source.ddl(kafka, false).forEach(this::execute);
        }
        source.members().forEach(m -> sourceOf.put(m.name(), source));
      } catch (RuntimeException e) {
        source.members().forEach(m -> problems.add(at(m).key("source_schema"),
            "the Kafka source table is invalid: " + rootMessage(e)));
      }
    }
    for (TopicDef topic : canonical) {
      At at = at(topic);
      TableNames.check("table", topic.sink().tableName(), catalog.type(), at.key("sink.table_name"), problems);
      TableNames.check("table", topic.deadLetterTable(), catalog.type(), at.key("dead_letter_table"), problems);
      BaseTransformer transformer =
          registry.create(config.transformations().get(topic.transformation()), topic, problems);
      SharedKafkaSource source = sourceOf.get(topic.name());
      if (source == null || transformer == null) {
        continue;
      }
      String sourceTable = Sql.ident(KafkaSourceTable.tableName(topic));
      String select;
      try {
        select = stripSemicolon(transformer.getTransformationSql(sourceTable));
      } catch (RuntimeException e) {
        problems.add(at.key("transformation"), transformer.getClass().getName()
            + ".getTransformationSql failed: " + e);
        continue;
      }
      if (select == null || select.isBlank()) {
        problems.add(at.key("transformation"), transformer.getClass().getName() + " returned no SQL");
        continue;
      }
      ResolvedSchema output;
      try {
        output = tableEnv.sqlQuery(select).getResolvedSchema();
      } catch (RuntimeException e) {
        problems.add(at.key("transformation"), "the SQL of " + transformer.getClass().getSimpleName()
            + " is invalid: " + rootMessage(e));
        continue;
      }
      SchemaCheck.compare(topic.sink(), output).ifPresent(m -> problems.add(at.key("sink.schema"), m));
      pipelines.add(new Pipeline(topic, transformer, select, source));
    }
    problems.throwIfAny();
    return pipelines;
  }

  private static At at(TopicDef topic) {
    return At.file(ConfigLoader.TOPICS_FILE).entry("topic", topic.name());
  }

  /**
   * Plans every INSERT against stand-in sink tables with the YAML sink schema (Flink's blackhole
   * connector), so the whole job is checked by the planner without a catalog. Returns the plan.
   */
  public String explainAgainstStandInSinks(List<Pipeline> pipelines) {
    StatementSet set = statementSetAgainstStandInSinks(pipelines);
    try {
      return set.explain();
    } catch (RuntimeException e) {
      throw new ConfigException(whichPipelinesFail(pipelines));
    }
  }

  /**
   * The job's operators, named as the job names them ({@link OperatorIds}), from its plan against the stand-ins:
   * translated into {@code env}, the environment of this planner's table environment, which must hold nothing else.
   */
  public List<OperatorIds.Operator> operatorsAgainstStandInSinks(StreamExecutionEnvironment env, List<Pipeline> pipelines) {
    statementSetAgainstStandInSinks(pipelines).attachAsDataStream();
    return OperatorIds.assign(env, inserts(pipelines), catalog.namespace(), OperatorIds.Sinks.STAND_INS);
  }

  /** Every INSERT into stand-ins of its sinks, which discard the rows: the job without Iceberg. */
  public StreamStatementSet statementSetAgainstStandInSinks(List<Pipeline> pipelines) {
    StreamStatementSet set = tableEnv.createStatementSet();
    for (Insert insert : inserts(pipelines)) {
      String name = standInName(insert);
      // Malformed records are inserts, even from a change-data topic; the planner cannot know that.
      execute(standInSinkDdl(name, insert.table(), insert.deadLetters() || !insert.table().primaryKey().isEmpty()));
      set.addInsertSql(insert.into(name));
    }
    return set;
  }

  private static String standInName(Insert insert) {
    return Sql.ident((insert.deadLetters() ? "validate_dead_letter_" : "validate_sink_") + insert.table().tableName());
  }

  /**
   * The job's INSERTs in the order they are added to its statement set: each pipeline's into its table, then one per
   * dead-letter table, of every pipeline that keeps its malformed records there (one writer and committer per table).
   */
  public static List<Insert> inserts(List<Pipeline> pipelines) {
    List<Insert> inserts = new ArrayList<>();
    pipelines.forEach(p -> inserts.add(new Insert(p.topic().sink(), List.of(p), Insert.Kind.SINK)));
    java.util.Map<String, List<Pipeline>> byTable = new java.util.LinkedHashMap<>();
    pipelines.stream().filter(Pipeline::keepsDeadLetters)
        .forEach(p -> byTable.computeIfAbsent(p.topic().deadLetterTable(), t -> new ArrayList<>()).add(p));
    byTable.forEach((table, ps) -> inserts.add(new Insert(DeadLetterTable.of(table), ps, Insert.Kind.DEAD_LETTERS)));
    List<Pipeline> late = lateRecordPipelines(pipelines);
    if (!late.isEmpty()) {
      inserts.add(new Insert(LateRecordsTable.of(LateRecordsTable.NAME), late, Insert.Kind.LATE_RECORDS));
    }
    return inserts;
  }

  /** The pipelines whose late records are kept, in order. */
  static List<Pipeline> lateRecordPipelines(List<Pipeline> pipelines) {
    return pipelines.stream().filter(p -> LateRecords.gated(p.topic(), p.source())).collect(java.util.stream.Collectors.toList());
  }

  /** One INSERT of the job: the table it writes and the pipelines whose rows (or rejected records) go there. */
  public static final class Insert {
    /** A pipeline's sink table, or a table of several pipelines' malformed or late records. */
    enum Kind { SINK, DEAD_LETTERS, LATE_RECORDS }

    private final SinkDef table;
    private final List<Pipeline> pipelines;
    private final Kind kind;

    Insert(SinkDef table, List<Pipeline> pipelines, Kind kind) {
      this.table = table;
      this.pipelines = List.copyOf(pipelines);
      this.kind = kind;
    }

    /** The table written, as topics.yaml declares it (its columns are the INSERT's column list). */
    public SinkDef table() {
      return table;
    }

    /** The one pipeline writing a sink table, or every pipeline keeping its malformed or late records in a table. */
    public List<Pipeline> pipelines() {
      return pipelines;
    }

    /** Whether the table is one of several pipelines' rejected records (malformed or late), not a pipeline's own. */
    public boolean deadLetters() {
      return kind != Kind.SINK;
    }

    String into(String qualifiedTable) {
      switch (kind) {
        case DEAD_LETTERS:
          return Pipeline.deadLetterInsertInto(qualifiedTable, pipelines);
        case LATE_RECORDS:
          return Pipeline.lateRecordsInsertInto(qualifiedTable, pipelines);
        default:
          return pipelines.get(0).insertInto(qualifiedTable);
      }
    }
  }

  /**
   * The planner refused the whole job: plan each pipeline alone against its stand-in sinks, so the
   * problem names its topic. Change-data pipelines get a word on what the planner means.
   */
  private List<String> whichPipelinesFail(List<Pipeline> pipelines) {
    Problems problems = new Problems();
    for (Pipeline p : pipelines) {
      At at = At.file(ConfigLoader.TOPICS_FILE).entry("topic", p.topic().name());
      StatementSet one = tableEnv.createStatementSet();
      one.addInsertSql(p.insertInto(Sql.ident("validate_sink_" + p.topic().sink().tableName())));
      if (p.keepsDeadLetters()) {
        one.addInsertSql(p.deadLetterInsertInto(Sql.ident("validate_dead_letter_" + p.topic().deadLetterTable())));
      }
      try {
        one.explain();
      } catch (RuntimeException e) {
        String message = rootMessage(e);
        boolean changes = message.contains("doesn't support consuming update");
        problems.add(at.key("transformation"), (changes ? (p.topic().sink().primaryKey().isEmpty()
            ? "the query produces updates or deletes (a change-data topic, or an aggregation without windows), "
                + "which a table without sink.primary_key cannot take: "
            : "the query cannot consume the updates and deletes of its change-data source (OVER aggregations, "
                + "window joins and other operators that need inserts only): ") : "the query cannot be planned: ")
            + message);
      }
    }
    return problems.isEmpty() ? List.of("the job cannot be planned, though each pipeline can") : problems.messages();
  }

  /** Fills the job's StatementSet: every pipeline's INSERT into its Iceberg table, submitted as ONE job. */
  public <S extends StatementSet> S addInserts(S set, List<Pipeline> pipelines) {
    for (Insert insert : inserts(pipelines)) {
      set.addInsertSql(insert.into(Sql.path(catalog.name(), catalog.namespace(), insert.table().tableName())));
    }
    return set;
  }

  /** Every Iceberg table the pipelines write: sink tables, then the dead-letter tables (once each). */
  public static List<SinkDef> tables(List<Pipeline> pipelines) {
    java.util.Map<String, SinkDef> tables = new java.util.LinkedHashMap<>();
    pipelines.forEach(p -> tables.put(p.topic().sink().tableName(), IcebergSinkTable.resolved(p.topic())));
    pipelines.stream().filter(Pipeline::keepsDeadLetters)
        .forEach(p -> tables.putIfAbsent(p.topic().deadLetterTable(), DeadLetterTable.of(p.topic().deadLetterTable())));
    if (!lateRecordPipelines(pipelines).isEmpty()) {
      tables.putIfAbsent(LateRecordsTable.NAME, LateRecordsTable.of(LateRecordsTable.NAME));
    }
    return List.copyOf(tables.values());
  }

  public String deadLetterName(TopicDef topic) {
    return Sql.path(catalog.name(), catalog.namespace(), topic.deadLetterTable());
  }

  /** {@code `catalog`.`namespace`.`table`}. */
  public String sinkName(TopicDef topic) {
    return Sql.path(catalog.name(), catalog.namespace(), topic.sink().tableName());
  }

  /** What {@code --validate} prints for a pipeline: source DDL (secrets hidden), sink table, INSERT. */
  public String describe(Pipeline p) {
    TopicDef t = p.topic();
    return "== topic '" + t.name() + "' (Kafka topic '" + t.topic() + "') -> " + sinkName(t) + "\n"
        + "-- transformation '" + t.transformation() + "': " + p.transformer().getClass().getName()
        + " (" + p.transformer().getDescription() + ")\n"
        + "-- source (on_error: " + t.onError().value() + ")"
        + (p.source().members().size() > 1 ? ", read once for " + p.source().members().stream().map(TopicDef::name)
            .collect(java.util.stream.Collectors.joining(", ")) : "") + "\n"
        + t.columnsFrom().map(from -> "-- columns from " + from + ": " + t.sourceSchema().stream()
            .map(c -> c.name() + " " + c.type().map(LogicalType::asSummaryString).orElse("AS " + c.expression().orElse("")))
            .collect(java.util.stream.Collectors.joining(", ")) + "\n").orElse("")
        + eventTime(p)
        + String.join(";\n", p.source().ddl(kafka, true)) + ";\n"
        + "-- sink\n" + IcebergSinkTable.describe(sinkName(t), IcebergSinkTable.resolved(t)) + ";\n"
        + "-- insert\n" + p.insertInto(sinkName(t)) + ";\n"
        + (p.keepsDeadLetters() ? "-- malformed records\n" + p.deadLetterInsertInto(deadLetterName(t)) + ";\n" : "")
        + (LateRecords.gated(t, p.source()) ? "-- late records (event time at or behind the watermark when read), "
            + "kept instead of dropped\n" + Pipeline.lateRecordsInsertInto(Sql.path(catalog.name(), catalog.namespace(),
                LateRecordsTable.NAME), List.of(p)) + ";\n" : "");
  }

  /** The watermark in effect for the pipeline's source, in words: what holds its windows open, and for how long. */
  static String eventTime(Pipeline p) {
    return p.topic().watermark().flatMap(own -> p.source().table().watermark()).map(w -> "-- event time: " + w.column() + ", watermark "
        + org.apache.flink.util.TimeUtils.formatWithHighestUnit(w.delay()) + " behind the newest event of the slowest "
        + "partition; " + w.idleTimeout().map(d -> "a partition silent for "
            + org.apache.flink.util.TimeUtils.formatWithHighestUnit(d) + " no longer holds it back (idle_timeout)")
            .orElse("idle_timeout off: a silent partition holds every window open") + "\n"
        + (LateRecords.gated(p.topic(), p.source()) ? "" : "-- late records NOT kept (" + (p.topic().changeData()
            ? "a change-data topic" : "on_error: fail") + "): Flink's event-time operators drop records behind the "
            + "watermark, counted only in their numLateRecordsDropped\n")).orElse("");
  }

  private static String standInSinkDdl(String name, SinkDef sink, boolean acceptsChanges) {
    // The column types Iceberg gives the table (a TIMESTAMP(3) is stored in microseconds: TIMESTAMP(6)), so that the
    // job is planned here as it is against the table itself, operator for operator.
    RowType table = FlinkSchemaUtil.convert(IcebergSinkTable.icebergSchema(sink));
    List<String> cols = new ArrayList<>();
    table.getFields().forEach(f -> cols.add("  " + Sql.ident(f.getName()) + " " + f.getType().asSerializableString()));
    if (!sink.primaryKey().isEmpty()) {
      cols.add("  PRIMARY KEY (" + Sql.identList(sink.primaryKey()) + ") NOT ENFORCED");
    }
    return "CREATE TEMPORARY TABLE IF NOT EXISTS " + name + " (\n" + String.join(",\n", cols) + "\n) WITH ('connector' = "
        + Sql.literal(StandInSinkFactory.IDENTIFIER) + ", " + Sql.literal(StandInSinkFactory.CHANGES.key()) + " = "
        + Sql.literal(Boolean.toString(acceptsChanges)) + ")";
  }

  private void execute(String sql) {
    try {
      tableEnv.executeSql(sql);
    } catch (RuntimeException e) {
      throw secrets.redact(e);
    }
  }

  private String rootMessage(Throwable e) {
    Throwable t = e;
    StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
      if (t.getMessage() != null && !sb.toString().contains(t.getMessage())) {
        sb.append(": ").append(t.getMessage());
      }
    }
    return secrets.redact(sb.toString().replaceAll("\\s+", " ").trim());
  }

  private static String stripSemicolon(String sql) {
    if (sql == null) {
      return null;
    }
    String s = sql.trim();
    while (s.endsWith(";")) {
      s = s.substring(0, s.length() - 1).trim();
    }
    return s;
  }
}
