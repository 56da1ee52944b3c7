package io.github.streamingjob.job;

import io.github.streamingjob.catalog.CatalogSettings;
import io.github.streamingjob.catalog.IcebergCatalogs;
import io.github.streamingjob.config.ConfigException;
import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.JobConfig;
import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.RuntimeProperties;
import io.github.streamingjob.config.SinkDef;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.maintenance.TableMaintenancePlan;
import io.github.streamingjob.metrics.JobMetrics;
import io.github.streamingjob.metrics.TableWatch;
import io.github.streamingjob.sink.SinkTables;
import io.github.streamingjob.source.KafkaSettings;
import io.github.streamingjob.util.Background;
import io.github.streamingjob.util.Secrets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.iceberg.flink.FlinkCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job: YAML topics, Kafka source tables, transformers, Iceberg sink tables, and every INSERT in
 * one StatementSet, submitted as one Flink job. With {@code --validate} it plans and prints it all
 * and connects to nothing.
 */
public final class StreamingJob {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingJob.class);

  private StreamingJob() {}

  public static void main(String[] args) throws Exception {
    CliArgs cli;
    try {
      cli = CliArgs.parse(args);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    if (cli.validate()) {
      System.exit(validate(cli, env) ? 0 : 1);
    }
    JobClient job = run(cli, env, JobSources.fromArgs(cli));
    if (env instanceof LocalStreamEnvironment) {
      job.getJobExecutionResult().get(); // a plain `java -jar` run would otherwise exit while the job runs
    }
  }

  /** Plans and checks everything and prints it; true when the job is valid. */
  public static boolean validate(CliArgs cli, StreamExecutionEnvironment env) {
    long start = System.nanoTime();
    Secrets secrets = Secrets.none();
    try {
      JobSources sources = JobSources.fromArgs(cli);
      secrets = sources.properties().secrets();
      Assembly job = Assembly.of(cli, env, sources);
      secrets = job.secrets;
      boolean pipelines = job.settings.job.role() != JobSettings.Role.MAINTENANCE;
      if (pipelines) {
        for (Pipeline p : job.pipelines) {
          System.out.println(secrets.redact(job.planner.describe(p)));
        }
      }
      for (SinkDef table : JobPlanner.tables(job.pipelines)) {
        System.out.print(TableMaintenancePlan.describe(table, job.settings.catalog.type(), job.settings.kafka.bounded(),
            job.settings.job.role() == JobSettings.Role.PIPELINES));
      }
      if (pipelines && !job.settings.kafka.bounded() && JobMetrics.enabled()) {
        System.out.print(TableWatch.describe(watchedReads(job)));
      }
      if (pipelines) {
        job.planner.explainAgainstStandInSinks(job.pipelines);
      } else if (job.maintained().isEmpty()) {
        throw nothingToMaintain();
      } else {
        System.out.println("-- Job.role = maintenance: this job runs the maintenance above and no pipeline");
      }
      job.settings.checkRequiredClasses();
      List<OperatorIds.Operator> operators = job.plannedOperators(env);
      System.out.print(secrets.redact(OperatorIds.describe(operators, job.config.topics(), job.pipelines.stream()
          .map(p -> p.topic().name()).collect(Collectors.toList()))));
      if (pipelines) {
        System.out.printf("OK: %d pipeline(s) valid (%s), checked in %.1f s%n", job.pipelines.size(),
            job.pipelines.stream().map(p -> p.topic().name()).collect(Collectors.joining(", ")),
            (System.nanoTime() - start) / 1e9);
      } else {
        System.out.printf("OK: the maintenance of %d table(s) valid (%s), checked in %.1f s%n", job.maintained().size(),
            job.maintained().stream().map(SinkDef::tableName).collect(Collectors.joining(", ")),
            (System.nanoTime() - start) / 1e9);
      }
      if (cli.savepoint().isPresent()) {
        RestoreReport report = job.restoreReport(SavepointMetadata.load(cli.savepoint().get(),
            job.settings.catalog.flinkCatalogProperties()), operators);
        System.out.print(secrets.redact(report.text()));
        if (!report.keepsEverything()) {
          System.err.println("NOT A CLEAN RESTORE: " + (report.needsAllowNonRestoredState()
              ? "state would be dropped (see DROPPED above)" : "")
              + (report.needsAllowNonRestoredState() && !report.pipelinesLosingState().isEmpty() ? "; " : "")
              + (report.pipelinesLosingState().isEmpty() ? ""
                  : "pipelines " + report.pipelinesLosingState() + " would start part of their state afresh"));
          return false;
        }
      }
      return true;
    } catch (ConfigException e) {
      System.err.println("INVALID: " + secrets.redact(e.getMessage()));
      return false;
    } catch (RuntimeException e) {
      System.err.println("INVALID: " + secrets.redact(e.toString()));
      return false;
    }
  }

  /** The job's metrics operators: stateless but for the position of their tick source, which nothing needs. */
  static List<OperatorIds.Operator> watchOperators() {
    return TableWatch.UIDS.stream().map(uid -> new OperatorIds.Operator(uid, List.of(), false, null, null))
        .collect(Collectors.toList());
  }

  /** Each Kafka source of the job, with the entries reading it and their tables, for the tables' freshness. */
  static List<TableWatch.Read> watchedReads(Assembly job) {
    java.util.Map<io.github.streamingjob.source.SharedKafkaSource, List<Pipeline>> bySource = new java.util.LinkedHashMap<>();
    job.pipelines.forEach(p -> bySource.computeIfAbsent(p.source(), s -> new java.util.ArrayList<>()).add(p));
    List<TableWatch.Read> reads = new java.util.ArrayList<>();
    bySource.forEach((source, pipelines) -> {
      java.util.Map<String, String> client = new java.util.LinkedHashMap<>(job.settings.kafka.clientProperties());
      client.putAll(source.table().kafkaProperties());
      reads.add(new TableWatch.Read(source.topic(), source.table().kafkaGroupId(),
          pipelines.stream().map(p -> p.topic().name()).collect(Collectors.toList()),
          pipelines.stream().map(p -> p.topic().sink().tableName()).collect(Collectors.toList()), client));
    });
    return reads;
  }

  /** Operators of the tables' maintenance, from their uids. */
  static List<OperatorIds.Operator> maintenanceOperators(List<String> uids, String namespace) {
    return uids.stream().flatMap(uid -> TableMaintenancePlan.maintainedTable(uid)
            .map(t -> OperatorIds.Operator.maintenance(uid, namespace + "." + t)).stream())
        .collect(Collectors.toList());
  }

  /** Builds and submits the job; returns once it is submitted. Its failures carry no secret. */
  public static JobClient run(CliArgs cli, StreamExecutionEnvironment env, JobSources sources) {
    return run(cli, env, sources, false);
  }

  /**
   * For tests of {@link MigrateSavepoint}: the job with its operators named as the version before named them (by
   * their position in the graph), to take a savepoint of that version.
   */
  static JobClient runWithPreviousVersionIds(CliArgs cli, StreamExecutionEnvironment env, JobSources sources) {
    return run(cli, env, sources, true);
  }

  private static JobClient run(CliArgs cli, StreamExecutionEnvironment env, JobSources sources, boolean previousIds) {
    Secrets secrets = sources.properties().secrets();
    try {
      return submit(cli, env, sources, previousIds);
    } catch (ConfigException e) {
      throw new ConfigException(secrets.redact(e.getMessage()));
    } catch (RuntimeException e) {
      throw secrets.redact(e);
    }
  }

  /**
   * For measurement: the job as it would run, its sinks replaced by stand-ins that discard the rows.
   * Everything before Iceberg runs: Kafka, decoding, dead-letter routing, transformations.
   */
  public static TableResult runWithoutIceberg(CliArgs cli, StreamExecutionEnvironment env, JobSources sources) {
    Assembly job = Assembly.of(cli, env, sources);
    return job.planner.statementSetAgainstStandInSinks(job.pipelines).execute();
  }

  private static JobClient submit(CliArgs cli, StreamExecutionEnvironment env, JobSources sources,
      boolean previousIds) {
    long start = System.nanoTime();
    Assembly job = Assembly.of(cli, env, sources, !previousIds);
    if (job.settings.job.role() == JobSettings.Role.MAINTENANCE) {
      return submitMaintenance(env, job);
    }
    long assembled = System.nanoTime();
    // The catalog is read (on AWS: round trips) while the whole job is planned and optimised against
    // stand-ins of its sinks; a refused query or an incompatible table stops the job before anything
    // is created.
    CatalogSettings catalog = job.settings.catalog;
    List<SinkDef> tables = JobPlanner.tables(job.pipelines);
    CompletableFuture<FlinkCatalog> flinkCatalog = Background.supply("iceberg-catalog", () -> IcebergCatalogs.create(catalog));
    CompletableFuture<SinkTables.Changes> changes = Background.supply("iceberg-catalog",
        () -> SinkTables.check(Background.join(flinkCatalog).catalog(), catalog.namespace(), tables,
            catalog.locationRoot()));
    job.planner.explainAgainstStandInSinks(job.pipelines);
    long checked = System.nanoTime();
    SinkTables.Changes pending = Background.join(changes);
    IcebergCatalogs.register(job.tableEnv, catalog, Background.join(flinkCatalog));
    pending.apply();
    long created = System.nanoTime();
    LOG.info("Submitting {} pipeline(s) as one job: {}", job.pipelines.size(),
        job.pipelines.stream().map(p -> p.topic().name() + " -> " + job.planner.sinkName(p.topic()))
            .collect(Collectors.joining(", ")));
    // The INSERTs and the tables' maintenance become one stream graph, submitted as one job.
    job.planner.addInserts(job.tableEnv.createStatementSet(), job.pipelines).attachAsDataStream();
    if (previousIds) {
      MigrateSavepoint.applyPreviousVersionIds(env);
    }
    List<OperatorIds.Operator> operators = new java.util.ArrayList<>(previousIds ? List.of()
        : OperatorIds.assign(env, JobPlanner.inserts(job.pipelines), catalog.namespace(), OperatorIds.Sinks.ICEBERG));
    List<SinkDef> maintained = job.maintained();
    if (!maintained.isEmpty()) {
      TableMaintenancePlan.appendTo(env, IcebergCatalogs.loader(catalog), catalog.namespace(), maintained);
      LOG.info("Table maintenance in this job for: {}",
          maintained.stream().map(SinkDef::tableName).collect(Collectors.joining(", ")));
      java.util.Set<String> pipelineUids = operators.stream().map(OperatorIds.Operator::uid).collect(Collectors.toSet());
      operators.addAll(maintenanceOperators(TableMaintenancePlan.uidsIn(env).stream()
          .filter(uid -> !pipelineUids.contains(uid)).collect(Collectors.toList()), catalog.namespace()));
    }
    if (!previousIds && !job.settings.kafka.bounded() && JobMetrics.enabled()) {
      TableWatch.appendTo(env, new TableWatch(IcebergCatalogs.loader(catalog), catalog.namespace(),
          tables.stream().map(SinkDef::tableName).collect(Collectors.toList()), watchedReads(job)));
      operators.addAll(watchOperators());
    }
    logRestore(env, job, operators);
    JobClient result;
    try {
      result = env.executeAsync(job.name);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("the job could not be submitted: " + e.getMessage(), e);
    }
    long submitted = System.nanoTime();
    LOG.info("Started in {} ms: config and queries {} ms, plan check {} ms, catalog and tables {} ms more, "
        + "planning and submission {} ms", millis(start, submitted), millis(start, assembled),
        millis(assembled, checked), millis(checked, created), millis(created, submitted));
    return result;
  }

  /**
   * {@code Job.role = maintenance}: the tables' maintenance alone, as a job of its own, beside a job of the same
   * configuration with {@code Job.role = pipelines}. Its compactions then never hold the pipelines' checkpoints. The
   * tables must exist: the pipelines' job creates and evolves them, so two jobs never race to change one.
   */
  private static JobClient submitMaintenance(StreamExecutionEnvironment env, Assembly job) {
    CatalogSettings catalog = job.settings.catalog;
    List<SinkDef> maintained = job.maintained();
    if (maintained.isEmpty()) {
      throw nothingToMaintain();
    }
    List<String> missing = new java.util.ArrayList<>();
    FlinkCatalog flinkCatalog = IcebergCatalogs.create(catalog);
    try {
      for (SinkDef t : maintained) {
        if (!flinkCatalog.catalog().tableExists(org.apache.iceberg.catalog.TableIdentifier.of(catalog.namespace(),
            t.tableName()))) {
          missing.add(catalog.namespace() + "." + t.tableName());
        }
      }
    } finally {
      flinkCatalog.close();
    }
    if (!missing.isEmpty()) {
      throw new ConfigException("Job.role = maintenance: tables " + missing + " do not exist yet. The job with "
          + "Job.role = pipelines creates them: start it first");
    }
    TableMaintenancePlan.appendTo(env, IcebergCatalogs.loader(catalog), catalog.namespace(), maintained);
    String names = maintained.stream().map(SinkDef::tableName).collect(Collectors.joining(", "));
    LOG.info("Table maintenance only (Job.role = maintenance), as a job of its own, for: {}", names);
    logRestore(env, job, maintenanceOperators(TableMaintenancePlan.uidsIn(env), catalog.namespace()));
    try {
      return env.executeAsync("table-maintenance: " + names);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("the job could not be submitted: " + e.getMessage(), e);
    }
  }

  private static ConfigException nothingToMaintain() {
    return new ConfigException("property group 'Job': key 'role': 'maintenance', but no table has maintenance to run "
        + "(a bounded run has none; on S3 Tables the catalog maintains the tables; or sink.maintenance is off)");
  }

  /**
   * When the job restores from a savepoint, says what carries over, what starts afresh and what is dropped, pipeline
   * by pipeline (what {@code --validate --savepoint} would have printed). Only a report: a savepoint it cannot read
   * stops nothing.
   */
  private static void logRestore(StreamExecutionEnvironment env, Assembly job, List<OperatorIds.Operator> operators) {
    Optional<String> savepoint = env.getConfiguration().getOptional(StateRecoveryOptions.SAVEPOINT_PATH);
    if (savepoint.isEmpty()) {
      return;
    }
    try {
      RestoreReport report = job.restoreReport(SavepointMetadata.load(savepoint.get(),
          job.settings.catalog.flinkCatalogProperties()), operators);
      boolean allowed = env.getConfiguration().get(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE);
      String text = job.secrets.redact(report.text());
      if (report.keepsEverything()) {
        LOG.info("Restoring every pipeline's state:\n{}", text);
      } else {
        LOG.warn("Restoring with state {}:\n{}", report.needsAllowNonRestoredState() ? (allowed
            ? "dropped (allowNonRestoredState is set)" : "no operator takes (Flink will refuse the restore unless "
                + "allowNonRestoredState is set)") : "started afresh", text);
      }
    } catch (RuntimeException e) {
      LOG.warn("Could not report what the restore from {} keeps: {}", job.secrets.redact(savepoint.get()),
          job.secrets.redact(e.toString()));
    }
  }

  private static long millis(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1_000_000;
  }

  /** Everything the job needs, loaded and planned, before anything is created. */
  static final class Assembly {
    final Settings settings;
    final StreamTableEnvironment tableEnv;
    final JobPlanner planner;
    final List<Pipeline> pipelines;
    final Secrets secrets;
    final String name;
    final JobConfig config;

    private Assembly(Settings settings, StreamTableEnvironment tableEnv, JobPlanner planner, List<Pipeline> pipelines,
        Secrets secrets, String name, JobConfig config) {
      this.name = name;
      this.config = config;
      this.settings = settings;
      this.tableEnv = tableEnv;
      this.planner = planner;
      this.pipelines = pipelines;
      this.secrets = secrets;
    }

    static Assembly of(CliArgs cli, StreamExecutionEnvironment env, JobSources sources) {
      return of(cli, env, sources, true);
    }

    /** {@code keepLate} false: planned as the versions before late records were kept planned it. */
    static Assembly of(CliArgs cli, StreamExecutionEnvironment env, JobSources sources, boolean keepLate) {
      Settings settings = Settings.load(sources);
      JobConfig config = sources.config(cli, settings.job);
      // Columns a schema registry holds are read now: a registry down at start is a clear error, not a half-start.
      List<TopicDef> topics = io.github.streamingjob.source.RegistrySchemas.resolve(selectTopics(config, settings.job),
          sources.properties().map(RuntimeProperties.REGISTRY_GROUP));
      settings.job.parallelism().ifPresent(env::setParallelism);
      settings.job.checkpointInterval().ifPresent(i -> env.enableCheckpointing(i.toMillis()));
      if (settings.kafka.bounded()) {
        // Iceberg's committer (1.10) files every writer's end-of-input files under one key: a checkpoint
        // between two writers' ends made the later one overwrite the earlier one's files (data loss,
        // BoundedRunITCase). So a bounded run takes no checkpoint and commits once, at its end.
        env.getCheckpointConfig().disableCheckpointing();
        LOG.info("Bounded run: checkpoints off; the Iceberg tables get one commit when the input ends");
      }
      // Flink's SQL operators never hold on to input rows, so chained operators may share them instead
      // of copying each row per consumer (the source feeds both the sink and the dead-letter branch).
      // The benchmark measured the copies at ~10% of the CPU (docs/benchmarks.md).
      if (settings.job.objectReuse()) {
        env.getConfig().enableObjectReuse();
      }
      StreamTableEnvironment tableEnv = StreamTableEnvironment.create(env);
      tableEnv.getConfig().setLocalTimeZone(settings.job.timeZone());
      String name = "kafka-to-iceberg: " + topics.stream().map(TopicDef::name).collect(Collectors.joining(", "));
      tableEnv.getConfig().set(PipelineOptions.NAME, name);
      Secrets secrets = sources.properties().secrets();
      for (TopicDef t : topics) {
        secrets = secrets.and(t.kafkaProperties()).and(t.formatOptions()).and(t.sink().properties());
      }
      JobPlanner planner = new JobPlanner(tableEnv, settings.kafka, settings.catalog, secrets, keepLate);
      return new Assembly(settings, tableEnv, planner, planner.plan(config, topics), secrets, name, config);
    }

    /**
     * The operators as the job will name them, planned against the stand-ins (no catalog): the pipelines', and the
     * maintenance's of their tables.
     */
    List<OperatorIds.Operator> plannedOperators(StreamExecutionEnvironment env) {
      boolean pipelinesToo = settings.job.role() != JobSettings.Role.MAINTENANCE;
      List<OperatorIds.Operator> operators = new java.util.ArrayList<>(pipelinesToo
          ? planner.operatorsAgainstStandInSinks(env, pipelines) : List.of());
      operators.addAll(maintenanceOperators(TableMaintenancePlan.uids(maintained(), settings.catalog.namespace()),
          settings.catalog.namespace()));
      if (pipelinesToo && !settings.kafka.bounded() && JobMetrics.enabled()) {
        operators.addAll(watchOperators());
      }
      return operators;
    }

    /** The tables whose maintenance this job runs: none with {@code Job.role = pipelines}. */
    List<SinkDef> maintained() {
      return settings.job.role() == JobSettings.Role.PIPELINES ? List.of() : TableMaintenancePlan.maintained(
          JobPlanner.tables(pipelines), settings.catalog.type(), settings.kafka.bounded());
    }

    /** What restoring this job from {@code savepoint} keeps, starts afresh and drops. */
    RestoreReport restoreReport(SavepointMetadata savepoint, List<OperatorIds.Operator> operators) {
      // The maintenance every table of topics.yaml would have, disabled entries' included: names for dropped state.
      java.util.Map<String, SinkDef> tables = new java.util.LinkedHashMap<>();
      for (TopicDef t : config.topics()) {
        tables.putIfAbsent(t.sink().tableName(), io.github.streamingjob.sink.IcebergSinkTable.resolved(t));
        tables.putIfAbsent(t.deadLetterTable(), io.github.streamingjob.sink.DeadLetterTable.of(t.deadLetterTable()));
      }
      tables.putIfAbsent(io.github.streamingjob.sink.LateRecordsTable.NAME,
          io.github.streamingjob.sink.LateRecordsTable.of(io.github.streamingjob.sink.LateRecordsTable.NAME));
      String namespace = settings.catalog.namespace();
      java.util.Map<String, String> maintenance = new java.util.LinkedHashMap<>();
      for (OperatorIds.Operator o : maintenanceOperators(TableMaintenancePlan.uids(TableMaintenancePlan.maintained(
          List.copyOf(tables.values()), settings.catalog.type(), false), namespace), namespace)) {
        maintenance.put(o.uid(), o.table().orElseThrow());
      }
      List<TopicDef> running = settings.job.role() == JobSettings.Role.MAINTENANCE ? List.of()
          : pipelines.stream().map(Pipeline::topic).collect(Collectors.toList());
      return RestoreReport.of(savepoint, operators, running, config.topics(), maintenance, namespace);
    }
  }

  /** The enabled topics, or exactly those named by the Job group's {@code topics} override. */
  static List<TopicDef> selectTopics(JobConfig config, JobSettings job) {
    List<TopicDef> selected;
    if (job.topics().isEmpty()) {
      selected = config.enabledTopics();
    } else {
      List<String> known = config.topics().stream().map(TopicDef::name).collect(Collectors.toList());
      Problems problems = new Problems();
      job.topics().stream().filter(t -> !known.contains(t)).forEach(t -> problems.add(
          "property group 'Job': key 'topics': '" + t + "' is not a topic of topics.yaml"
              + Problems.didYouMean(t, known) + " (topics: " + known + ")"));
      problems.throwIfAny();
      selected = config.topics().stream().filter(t -> job.topics().contains(t.name())).collect(Collectors.toList());
    }
    if (selected.isEmpty()) {
      throw new ConfigException(ConfigLoader.TOPICS_FILE + ": no topic is enabled; nothing to run");
    }
    return selected;
  }

  /** The three property groups, read and checked together. */
  static final class Settings {
    final JobSettings job;
    final KafkaSettings kafka;
    final CatalogSettings catalog;

    private Settings(JobSettings job, KafkaSettings kafka, CatalogSettings catalog) {
      this.job = job;
      this.kafka = kafka;
      this.catalog = catalog;
    }

    static Settings load(JobSources sources) {
      RuntimeProperties props = sources.properties();
      LOG.info("Runtime properties: {}", props);
      Problems problems = new Problems();
      props.checkKnownKeys(problems);
      JobSettings job = JobSettings.from(props, problems);
      KafkaSettings kafka = KafkaSettings.from(props, problems);
      CatalogSettings catalog = CatalogSettings.from(props, problems);
      problems.throwIfAny();
      return new Settings(job, kafka, catalog);
    }

    /** A class the chosen catalog needs but the JAR lacks is a deployment failure: catch it here. */
    void checkRequiredClasses() {
      Problems problems = new Problems();
      List<String> classes = new java.util.ArrayList<>(catalog.requiredClasses());
      if (kafka.auth() == KafkaSettings.Auth.IAM) {
        classes.addAll(KafkaSettings.IAM_CLASSES);
      }
      for (String cls : classes) {
        try {
          Class.forName(cls, false, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
          problems.add("class " + cls + " is needed by the configured catalog/authentication but is not on the "
              + "classpath (is the fat JAR complete?)");
        }
      }
      try {
        // Iceberg's Flink catalog factory needs a Hadoop configuration even for S3 Tables.
        IcebergCatalogs.hadoopConf();
      } catch (LinkageError e) {
        problems.add("Iceberg's catalog factory cannot build its Hadoop configuration: " + e);
      }
      problems.throwIfAny();
    }
  }
}
