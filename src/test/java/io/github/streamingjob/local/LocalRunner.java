package io.github.streamingjob.local;

import io.github.streamingjob.catalog.CatalogSettings;
import io.github.streamingjob.catalog.IcebergCatalogs;
import io.github.streamingjob.config.JobConfig;
import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.RuntimeProperties;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.job.CliArgs;
import io.github.streamingjob.job.JobSettings;
import io.github.streamingjob.job.JobSources;
import io.github.streamingjob.job.StreamingJob;
import io.github.streamingjob.metrics.KafkaProgress;
import io.github.streamingjob.source.KafkaSettings;
import io.github.streamingjob.source.SharedKafkaSource;
import io.github.streamingjob.sink.LateRecordsTable;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.iceberg.catalog.Catalog;

/**
 * Runs the job on this machine: a Flink MiniCluster (web UI on localhost:8081 when free) and, when
 * the {@code Local} group says {@code embedded.kafka=true}, an in-process Kafka broker fed with
 * sample events for every enabled topic. Prints each sink table's progress every few seconds; Ctrl-C
 * stops everything. Never part of the MSF JAR (it lives in src/test).
 */
public final class LocalRunner {
  private static final int PARTITIONS = 3;
  /** One record in this many per topic is sent this far behind the others' event time (a late one). */
  private static final int LATE_EVERY = 500;
  private static final long LATE_BY_MILLIS = 120_000;
  private static final long STATUS_EVERY_MS = 5_000;

  private LocalRunner() {}

  public static void main(String[] args) throws Exception {
    Running run = start(CliArgs.parse(args));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("Stopping: generator, Flink job, broker...");
      run.close();
      System.out.println("Stopped.");
    }, "local-runner-shutdown"));
    while (!run.job.getJobStatus().get().isGloballyTerminalState()) {
      Thread.sleep(STATUS_EVERY_MS);
      System.out.println(java.time.LocalTime.now().withNano(0) + " " + run.catalogSettings.namespace() + " in "
          + run.catalogSettings.warehouse());
      run.status().forEach(System.out::println);
    }
    System.out.println("Job ended: " + run.job.getJobStatus().get());
  }

  /** A started local run: the Flink job, and the broker and generator when embedded. */
  public static final class Running implements AutoCloseable {
    final JobClient job;
    final CatalogSettings catalogSettings;
    final Catalog catalog;
    final List<String> tables;
    private final EmbeddedKafka broker;
    private final Thread generator;
    private final AtomicBoolean running;

    /** Per table of a pipeline, its source's consumer group in Kafka: how far the table is behind its topic. */
    private final Map<String, KafkaProgress> progress;
    /** The run's checkpoints: a run does not resume from them, so they go with it. */
    private final java.nio.file.Path checkpoints;

    private Running(JobClient job, CatalogSettings catalogSettings, List<String> tables, EmbeddedKafka broker,
        Thread generator, AtomicBoolean running, Map<String, KafkaProgress> progress, java.nio.file.Path checkpoints) {
      this.job = job;
      this.checkpoints = checkpoints;
      this.progress = progress;
      this.catalogSettings = catalogSettings;
      this.catalog = IcebergCatalogs.load(catalogSettings);
      this.tables = tables;
      this.broker = broker;
      this.generator = generator;
      this.running = running;
    }

    /** One line per sink table: rows, freshness, snapshots, last commit. */
    public List<String> status() {
      Map<String, Double> fresh = new LinkedHashMap<>();
      long now = System.currentTimeMillis();
      progress.forEach((table, p) -> {
        try {
          fresh.put(table, p.measure(java.time.Duration.ofSeconds(5)).behindSeconds(now));
        } catch (RuntimeException e) {
          // Kafka did not answer in time: no figure this time
        }
      });
      return TableStatus.lines(catalog, catalogSettings.namespace(), tables, fresh);
    }

    public Catalog catalog() {
      return catalog;
    }

    public List<String> tables() {
      return tables;
    }

    /** Stops the generator, cancels the job, shuts the broker down. */
    @Override
    public void close() {
      running.set(false);
      try {
        if (generator != null) {
          generator.join(5_000);
        }
        job.cancel().get();
        // Flink discards the checkpoints of a cancelled job itself; what it leaves is deleted below, once it is done.
        for (int i = 0; i < 100 && !job.getJobStatus().get().isGloballyTerminalState(); i++) {
          Thread.sleep(100);
        }
      } catch (Exception e) {
        // Already finished, or the cluster is going down with the JVM.
      }
      progress.values().forEach(p -> {
        try {
          p.close();
        } catch (RuntimeException e) {
          // closing at exit
        }
      });
      if (broker != null) {
        broker.close();
      }
      EmbeddedKafka.deleteQuietly(checkpoints);
    }
  }

  /** Starts the broker and sample data (if the Local group asks for them), then the job. */
  public static Running start(CliArgs cli) throws Exception {
    RuntimeProperties props = JobSources.fromArgs(cli).properties();
    Problems problems = new Problems();
    JobSettings settings = JobSettings.from(props, problems);
    CatalogSettings catalogSettings = CatalogSettings.from(props, problems);
    problems.throwIfAny();
    JobConfig config = new JobSources(props).config(cli, settings);
    List<TopicDef> topics = config.enabledTopics();

    EmbeddedKafka kafka = null;
    AtomicBoolean running = new AtomicBoolean(true);
    Thread generator = null;
    if (props.getBoolean(RuntimeProperties.LOCAL_GROUP, RuntimeProperties.EMBEDDED_KAFKA, false)) {
      long t0 = System.nanoTime();
      kafka = EmbeddedKafka.start();
      System.out.printf("Embedded Kafka broker on %s (started in %.1f s)%n", kafka.bootstrapServers(),
          (System.nanoTime() - t0) / 1e9);
      props = props.with(RuntimeProperties.KAFKA_GROUP, RuntimeProperties.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      Map<String, TopicDef> byKafkaTopic = new LinkedHashMap<>();
      topics.forEach(t -> byKafkaTopic.putIfAbsent(t.topic(), t));
      for (String topic : byKafkaTopic.keySet()) {
        kafka.createTopic(topic, PARTITIONS);
      }
      int rate = props.getInt(RuntimeProperties.LOCAL_GROUP, RuntimeProperties.SAMPLE_EVENTS_PER_SECOND, problems)
          .orElse(200);
      Set<String> windowed = topics.stream().filter(t -> t.watermark().isPresent()).map(TopicDef::topic)
          .collect(Collectors.toSet());
      generator = startGenerator(kafka, List.copyOf(byKafkaTopic.values()), windowed, rate, running);
      System.out.printf("Producing ~%d sample events/s to %s%n", rate, byKafkaTopic.keySet());
      windowed.forEach(topic -> System.out.printf("Partition %d of %s left quiet: its windows close anyway, once the "
          + "partition is idle (watermark.idle_timeout)%n", PARTITIONS - 1, topic));
    }

    Configuration flinkConf = new Configuration();
    flinkConf.set(RestOptions.BIND_PORT, "8081-8099");
    // With six tables' maintenance tasks the job asked for 102 MB of network buffers, more than a MiniCluster's
    // default 64 MB (a Managed Flink TaskManager has several times that).
    flinkConf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.ofMebiBytes(192));
    flinkConf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.ofMebiBytes(192));
    // Checkpoints in files, as on a cluster: a MiniCluster otherwise keeps them in the JobManager's memory, which
    // refuses an operator's state past 5 MB, and Iceberg commits only on a completed checkpoint.
    java.nio.file.Path checkpoints = java.nio.file.Files.createTempDirectory("local-run-checkpoints");
    flinkConf.setString("execution.checkpointing.dir", checkpoints.toUri().toString());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flinkConf);
    JobClient job = StreamingJob.run(cli, env, new JobSources(props));
    System.out.println("Flink job " + job.getJobID() + " running; web UI on http://localhost:8081 (or the next free "
        + "port); Ctrl-C to stop.");
    List<String> tables = topics.stream().map(t -> t.sink().tableName()).collect(Collectors.toList());
    if (topics.stream().anyMatch(t -> t.watermark().isPresent())) {
      tables.add(LateRecordsTable.NAME);
    }
    // The tables' freshness, measured as the job's metric measures it: per read, the group's committed offsets.
    KafkaSettings kafkaSettings = KafkaSettings.from(props, problems);
    problems.throwIfAny();
    Map<String, KafkaProgress> progress = new LinkedHashMap<>();
    for (SharedKafkaSource read : SharedKafkaSource.group(topics)) {
      Map<String, String> client = new LinkedHashMap<>(kafkaSettings.clientProperties());
      client.putAll(read.table().kafkaProperties());
      KafkaProgress p = new KafkaProgress(client, read.topic(), read.table().kafkaGroupId());
      read.members().forEach(m -> progress.put(m.sink().tableName(), p));
    }
    return new Running(job, catalogSettings, tables, kafka, generator, running, progress, checkpoints);
  }

  /**
   * Event time starts three minutes back and runs at four times wall-clock speed until it catches up,
   * so one-minute windows close (and the aggregation writes rows) within the first minute. The last partition of
   * each topic read with event time gets nothing, as on a topic with more partitions than producers.
   */
  private static Thread startGenerator(EmbeddedKafka kafka, List<TopicDef> topics, Set<String> windowed,
      int perSecond, AtomicBoolean running) {
    Thread t = new Thread(() -> {
      SampleEvents events = new SampleEvents(42, 20);
      long wallStart = System.currentTimeMillis();
      long eventStart = wallStart - 180_000;
      long sent = 0;
      long rounds = 0;
      try (KafkaProducer<byte[], byte[]> producer = kafka.newProducer()) {
        while (running.get()) {
          long now = System.currentTimeMillis();
          long eventTime = Math.min(now, eventStart + (now - wallStart) * 4);
          for (TopicDef topic : topics) {
            // Now and then a record from a while back on a topic read in event time: late, kept in late_records.
            boolean late = windowed.contains(topic.topic()) && rounds % LATE_EVERY == LATE_EVERY - 1;
            SampleEvents.Event e = events.nextEvent(topic, late ? eventTime - LATE_BY_MILLIS : eventTime);
            byte[] key = e.key == null ? null : e.key.getBytes(StandardCharsets.UTF_8);
            byte[] value = e.value == null ? null : e.value.getBytes(StandardCharsets.UTF_8);
            producer.send(windowed.contains(topic.topic())
                ? new ProducerRecord<>(topic.topic(), (int) (rounds % (PARTITIONS - 1)), key, value)
                : new ProducerRecord<>(topic.topic(), key, value));
          }
          sent += topics.size();
          rounds++;
          long due = wallStart + sent * 1000 / Math.max(1, perSecond);
          long sleep = due - System.currentTimeMillis();
          if (sleep > 0) {
            Thread.sleep(sleep);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "sample-events");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
