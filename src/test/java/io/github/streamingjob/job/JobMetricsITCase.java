package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.metrics.JobMetrics;
import io.github.streamingjob.metrics.TableWatch;
import io.github.streamingjob.testing.Await;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.Prometheus;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.TopicsYaml;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's own metrics, scraped from Flink's Prometheus reporter as a Prometheus server would: per pipeline the
 * records read, the malformed and the late ones, the Kafka lag; per table the rows and commits (equal to what the
 * tables hold), the age of the last commit and the freshness, which stays within the checkpoint interval plus the
 * watch's look interval and a margin while bids flow, and is 0 once all are in. Two entries share one read.
 */
class JobMetricsITCase {
  static final String TOPIC = "bids-metrics";
  static final String NAMESPACE = "metrics";
  static final Duration TIMEOUT = Duration.ofMinutes(3);
  /** The job's checkpoint interval. */
  static final double CHECKPOINT_SECONDS = 1;
  /** For a loaded 2-core machine: a checkpoint, its commit and a look may each take several seconds. */
  static final double MARGIN_SECONDS = 15;

  static KillableMiniCluster flink;
  static EmbeddedKafka kafka;
  static HadoopCatalog catalog;
  static int prometheusPort;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
    try (ServerSocket s = new ServerSocket(0)) {
      prometheusPort = s.getLocalPort();
    }
    flink = KillableMiniCluster.start(Map.of(
        "metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
        "metrics.reporter.prom.port", Integer.toString(prometheusPort)));
    catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), dir.resolve("warehouse").toUri().toString());
    kafka.createTopic(TOPIC, 2);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {catalog, flink, kafka}) {
      if (c != null) {
        c.close();
      }
    }
  }

  static List<Prometheus.Sample> scrape() {
    return Prometheus.scrape(List.of(prometheusPort));
  }

  static double pipeline(List<Prometheus.Sample> samples, String metric, String pipeline) {
    return Prometheus.sum(samples, metric, JobMetrics.PIPELINE, pipeline);
  }

  static double table(List<Prometheus.Sample> samples, String metric, String table) {
    return Prometheus.sum(samples, metric, JobMetrics.TABLE, table);
  }

  static String bid(String id, long time) {
    return String.format("{\"user_id\":%d,\"bid_id\":\"%s\",\"amount\":2.5,\"timestamp_ms\":%d}",
        Math.abs(id.hashCode()) % 5, id, time);
  }

  @Test
  void pipelinesAndTablesReportWhatTheyReadWroteAndHowFreshTheyAre() throws Exception {
    TopicsYaml topics = TopicsYaml.shipped().set("bid-events", "topic", TOPIC).set("bid-events-aggregated", "topic", TOPIC);
    for (String other : List.of("user-activity", "order-events", "customers")) {
      topics = topics.set(other, "enabled", false);
    }
    Path config = topics.writeTo(dir.resolve("config"));
    Path props = PropertiesFile.local(kafka.bootstrapServers(), dir.resolve("warehouse"), NAMESPACE)
        .set("Job", "parallelism", "2").set("Job", "checkpoint.interval", "1 s").writeTo(dir.resolve("props.json"));
    CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
    JobClient job = StreamingJob.run(cli, new TestStreamEnvironment(flink.cluster(), new Configuration(), 2, List.of(),
        List.of()), JobSources.fromArgs(cli));
    try {
      await("every task running, the metrics reported", () -> flink.allRunning(job)
          && !Double.isNaN(table(scrape(), JobMetrics.FRESHNESS_SECONDS, "bid_events_raw")));

      // 20 s of bids, live, on both partitions; a malformed record now and then. Freshness sampled meanwhile.
      List<Double> freshness = new ArrayList<>();
      int bids = 0;
      int malformed = 0;
      int batches = 0;
      long end = System.currentTimeMillis() + 20_000;
      while (System.currentTimeMillis() < end) {
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          batch.add(bid("b" + bids++, System.currentTimeMillis()));
        }
        if (bids % 200 == 0) {
          batch.add("not json " + malformed++);
        }
        kafka.send(TOPIC, batches++ % 2, batch); // both partitions: the watermark follows them
        freshness.add(table(scrape(), JobMetrics.FRESHNESS_SECONDS, "bid_events_raw"));
        Thread.sleep(200);
      }
      // Late: event times 10 minutes back, their windows long closed (the watermark follows the live bids).
      int late = 5;
      List<String> lateBids = new ArrayList<>();
      for (int i = 0; i < late; i++) {
        lateBids.add(bid("late" + i, System.currentTimeMillis() - 600_000));
      }
      kafka.send(TOPIC, 0, lateBids);
      // Then a bid two minutes ahead on each partition: the watermark passes every window of the live bids.
      for (int p = 0; p < 2; p++) {
        kafka.send(TOPIC, p, List.of(bid("clock" + p, System.currentTimeMillis() + 120_000)));
      }
      int clocks = 2;
      int read = bids + malformed + late + clocks;
      int sentBids = bids;
      int sentMalformed = malformed;

      await("every record taken in: lag 0, freshness 0", () -> {
        List<Prometheus.Sample> s = scrape();
        return pipeline(s, JobMetrics.KAFKA_LAG_RECORDS, "bid-events") == 0
            && table(s, JobMetrics.FRESHNESS_SECONDS, "bid_events_raw") == 0;
      });
      TableIdentifier raw = TableIdentifier.of(NAMESPACE, "bid_events_raw");
      IcebergTables.awaitRows(catalog, raw, rows -> rows.size() == sentBids + late + clocks, TIMEOUT);
      TableIdentifier windows = TableIdentifier.of(NAMESPACE, "bid_events_aggregated");
      IcebergTables.awaitRows(catalog, windows, rows -> !rows.isEmpty(), TIMEOUT);
      int deadLetters = 2 * sentMalformed; // once per reading pipeline
      await("the counters caught up with the tables", () -> {
        List<Prometheus.Sample> s = scrape();
        return table(s, JobMetrics.ROWS_COMMITTED, "bid_events_raw") == sentBids + late + clocks
            && table(s, JobMetrics.ROWS_COMMITTED, "bid_events_aggregated") == IcebergTables.rows(catalog, windows).size()
            && table(s, JobMetrics.ROWS_COMMITTED, "dead_letters") == deadLetters
            && table(s, JobMetrics.ROWS_COMMITTED, "late_records") == late
            && pipeline(s, JobMetrics.RECORDS_READ, "bid-events") == read;
      });

      List<Prometheus.Sample> s = scrape();
      System.out.println("Scraped (the job's own metrics):");
      s.stream().filter(x -> x.name.contains(JobMetrics.GROUP)).forEach(x -> System.out.println("  " + x));
      System.out.println("Freshness of bid_events_raw while bids flowed (s): " + freshness);
      for (String p : List.of("bid-events", "bid-events-aggregated")) {
        assertThat(pipeline(s, JobMetrics.RECORDS_READ, p)).as("records read by " + p + " (one shared read)")
            .isEqualTo(read);
        assertThat(pipeline(s, JobMetrics.MALFORMED_RECORDS, p)).as("malformed records of " + p).isEqualTo(malformed);
        assertThat(pipeline(s, JobMetrics.KAFKA_LAG_RECORDS, p)).isZero();
      }
      assertThat(pipeline(s, JobMetrics.LATE_RECORDS, "bid-events-aggregated")).as("late bids kept").isEqualTo(late);
      assertThat(IcebergTables.rows(catalog, TableIdentifier.of(NAMESPACE, "dead_letters"))).hasSize(deadLetters);
      assertThat(IcebergTables.rows(catalog, TableIdentifier.of(NAMESPACE, "late_records"))).hasSize(late);
      assertThat(table(s, JobMetrics.ROWS_COMMITTED, "bid_events_aggregated")).as("window rows, as the table holds")
          .isEqualTo(IcebergTables.rows(catalog, windows).size()).isGreaterThan(0);
      for (String t : List.of("bid_events_raw", "bid_events_aggregated", "dead_letters", "late_records")) {
        assertThat(table(s, JobMetrics.COMMITS, t)).as("commits to " + t).isGreaterThan(0);
        assertThat(table(s, JobMetrics.LAST_COMMIT_AGE_SECONDS, t)).as("last commit to " + t).isBetween(0.0, 120.0);
      }
      // Iceberg's own writer metrics, which operations.md lists, on both lines (Iceberg 1.11 no longer bundles what
      // its histograms need: the Flink 2.2 build adds it).
      assertThat(s).as("Iceberg's file size histogram").anyMatch(x -> x.name.endsWith("_dataFilesSizeHistogram_count")
          && x.value > 0);
      assertThat(freshness).as("sampled while bids flowed").hasSizeGreaterThan(10)
          .allSatisfy(f -> assertThat(f).isBetween(0.0,
              CHECKPOINT_SECONDS + TableWatch.INTERVAL.toSeconds() + MARGIN_SECONDS));
    } finally {
      job.cancel().get();
    }
  }

  static void await(String what, BooleanSupplier done) throws InterruptedException {
    if (!Await.toleratingErrors(TIMEOUT, Duration.ofMillis(500), done)) {
      scrape().stream().filter(x -> x.name.contains(JobMetrics.GROUP)).forEach(x -> System.out.println("  " + x));
      assertThat(false).as(what).isTrue();
    }
  }
}
