package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.TopicsYaml;
import io.github.streamingjob.testing.standin.IcebergRestServer;
import io.github.streamingjob.testing.standin.NetworkOutage;
import io.github.streamingjob.testing.standin.S3MockServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.rest.RESTCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once through a catalog outage: the job commits through Iceberg's REST catalog server (a process of its own,
 * table files in an S3-compatible store), and the catalog is cut off while a producer writes steadily. Commits fail,
 * the job fails over and keeps restarting while the catalog is away, then resumes from its last checkpoint: every
 * acknowledged bid in the raw table once and counted once in its window (or kept once as late), none lost, none
 * twice, and again after a later commit.
 */
class CatalogOutageITCase {
  static final Path STAND_INS = Path.of(System.getProperty("stand-ins.dir", "target/stand-ins")).toAbsolutePath();
  static final String NAMESPACE = "outage";
  static final String BUCKET = "warehouse";
  static final String REGION = "us-east-1";
  static final Duration TIMEOUT = BrokerFailureITCase.TIMEOUT;

  @TempDir static Path dir;

  @Test
  void everyAcknowledgedRecordLandsOnceThroughACatalogOutage() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        S3MockServer s3 = S3MockServer.start(STAND_INS.resolve("s3mock.jar"), dir.resolve("s3"), BUCKET,
            dir.resolve("s3mock.out"));
        IcebergRestServer catalogServer = IcebergRestServer.start(STAND_INS.resolve("iceberg-rest.classpath"),
            dir.resolve("catalog/catalog.db"), s3FileIo(s3, "warehouse", "s3://" + BUCKET + "/tables"),
            dir.resolve("iceberg-rest.out"));
        NetworkOutage catalogLink = NetworkOutage.inFrontOf(port(catalogServer.uri()));
        KillableMiniCluster flink = KillableMiniCluster.start();
        RESTCatalog catalog = new RESTCatalog()) {
      resetIcebergWorkersClassLoader();
      catalog.initialize("check", s3FileIo(s3, "uri", catalogServer.uri()));
      kafka.createTopic(BrokerFailureITCase.TOPIC, BrokerFailureITCase.PARTITIONS);
      PropertiesFile properties = PropertiesFile.restCatalog(kafka.bootstrapServers(),
              "http://127.0.0.1:" + catalogLink.port(), "s3://" + BUCKET + "/tables", NAMESPACE,
              s3.fileIoProperties("s3-access-key", "s3-secret-key", REGION))
          .set("Job", "parallelism", "2").set("Job", "checkpoint.interval", "1 s")
          .set("Job", "topics", BrokerFailureITCase.TOPIC + "," + BrokerFailureITCase.WINDOWS);
      Path props = properties.writeTo(dir.resolve("props.json"));
      Path config = TopicsYaml.shipped().writeTo(dir.resolve("config"));
      CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
      JobClient job = StreamingJob.run(cli, new TestStreamEnvironment(flink.cluster(), new Configuration(), 2,
          List.of(), List.of()), JobSources.fromArgs(cli));
      TableIdentifier raw = TableIdentifier.of(NAMESPACE, "bid_events_raw");
      TableIdentifier windows = TableIdentifier.of(NAMESPACE, "bid_events_aggregated");

      try (BrokerFailureITCase.Producer producer = new BrokerFailureITCase.Producer(kafka.newProducer())) {
        IcebergTables.awaitRows(catalog, raw, r -> r.size() >= 200, TIMEOUT);
        long cutAt = System.nanoTime();
        catalogLink.cut();
        BrokerFailureITCase.await("the job failing over for want of the catalog",
            () -> SchemaRegistryITCase.failure(flink, job).isPresent());
        long failedMs = (System.nanoTime() - cutAt) / 1_000_000;
        // Away a while longer: the restarted job cannot load its tables either, and keeps restarting.
        Thread.sleep(10_000);
        int before = IcebergTables.rows(catalog, raw).size();
        long restoredAt = System.nanoTime();
        catalogLink.restore();
        BrokerFailureITCase.await("rows landing again", () -> IcebergTables.rows(catalog, raw).size() >= before + 200);
        System.out.printf("CATALOG cut: the job failed over after %d ms; restored after %d ms away; 200 more rows "
            + "landed %d ms later%n", failedMs, (restoredAt - cutAt) / 1_000_000,
            (System.nanoTime() - restoredAt) / 1_000_000);

        producer.stopAndFlush();
        assertThat(producer.failure()).as("the producer's sends").isNull();
        producer.sendClocks();
        Set<String> acked = producer.acked();
        List<Record> rows = IcebergTables.awaitRows(catalog, raw, r -> r.size() >= acked.size(), TIMEOUT);
        BrokerFailureITCase.assertExactly(rows, acked);
        BrokerFailureITCase.await("every window of the bids sent closed", () -> BrokerFailureITCase.windowRows(catalog,
            windows).equals(producer.expectedWindows(BrokerFailureITCase.lateBids(catalog, NAMESPACE))));

        Set<String> later = producer.sendMore(100);
        Set<String> all = new HashSet<>(acked);
        all.addAll(later);
        rows = IcebergTables.awaitRows(catalog, raw, r -> r.size() >= all.size(), TIMEOUT);
        BrokerFailureITCase.assertExactly(rows, all);
        BrokerFailureITCase.await("the later bids kept as late",
            () -> BrokerFailureITCase.lateBids(catalog, NAMESPACE).containsAll(later));
        assertThat(BrokerFailureITCase.windowRows(catalog, windows)).as("windows after a later commit")
            .isEqualTo(producer.expectedWindows(BrokerFailureITCase.lateBids(catalog, NAMESPACE)));
        assertThat(BrokerFailureITCase.lateRecords(catalog, NAMESPACE)).as("late bids, each kept once").doesNotHaveDuplicates();
        System.out.printf("CATALOG acked=%d rows=%d windows=%d lost=0 duplicated=0%n", all.size(), rows.size(),
            BrokerFailureITCase.windowRows(catalog, windows).size());
      } finally {
        job.cancel().get();
      }
    }
  }

  /**
   * Gives every thread of Iceberg's static worker pool the test's own context class loader. In this one JVM the pool
   * is shared by every job the test JVM has run and by the test's reads, and a pool thread keeps the context class
   * loader of whoever started it: a job attempt's user-code class loader, which Flink closes when that job fails over
   * or ends. The S3 client's HTTP stack (the Apache client's commons-logging) then fails looking it up ("Trying to
   * access closed classloader": seen in a full test run). On a cluster Iceberg lives in the job's own class loader,
   * pool included.
   */
  static void resetIcebergWorkersClassLoader() throws InterruptedException {
    ClassLoader own = CatalogOutageITCase.class.getClassLoader();
    int size = org.apache.iceberg.util.ThreadPools.WORKER_THREAD_POOL_SIZE;
    java.util.concurrent.CountDownLatch reset = new java.util.concurrent.CountDownLatch(size);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    for (int i = 0; i < size; i++) {
      org.apache.iceberg.util.ThreadPools.getWorkerPool().submit(() -> {
        Thread.currentThread().setContextClassLoader(own);
        reset.countDown();
        release.await(); // held until all run at once: each task on a thread of its own, so every thread is reset
        return null;
      });
    }
    reset.await();
    release.countDown();
  }

  /** S3FileIO against the stand-in store, as catalog properties. */
  static Map<String, String> s3FileIo(S3MockServer s3, String key, String value) {
    Map<String, String> p = s3.fileIoProperties("s3-access-key", "s3-secret-key", REGION);
    p.put(key, value);
    return p;
  }


  static int port(String uri) {
    return java.net.URI.create(uri).getPort();
  }
}
