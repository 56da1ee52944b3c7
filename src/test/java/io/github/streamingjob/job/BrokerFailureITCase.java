package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.TopicsYaml;
import io.github.streamingjob.testing.standin.KafkaCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once through broker failures: a 3-node Kafka cluster (each node a process of its own) loses each node in
 * turn to SIGKILL while a producer writes steadily, as in a broker crash or MSK's rolling patching, leaders moving
 * each time. Every bid the producer had acknowledged must be in the table once, none lost, none twice, and again
 * after a later commit.
 */
class BrokerFailureITCase {
  static final String TOPIC = "bid-events";
  static final String NAMESPACE = "brokers";
  static final int PARTITIONS = 3;
  static final Duration TIMEOUT = Duration.ofMinutes(5);

  @TempDir static Path dir;

  @Test
  void everyAcknowledgedRecordLandsOnceWhileEachBrokerIsKilledAndRestartedInTurn() throws Exception {
    try (KafkaCluster kafka = KafkaCluster.start(3, dir.resolve("kafka"));
        KillableMiniCluster flink = KillableMiniCluster.start();
        HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(),
            dir.resolve("warehouse").toUri().toString())) {
      kafka.createTopic(TOPIC, PARTITIONS);
      Path props = PropertiesFile.local(kafka.bootstrapServers(), dir.resolve("warehouse"), NAMESPACE)
          .set("Job", "parallelism", "2").set("Job", "checkpoint.interval", "1 s").set("Job", "topics", TOPIC)
          .writeTo(dir.resolve("props.json"));
      Path config = TopicsYaml.shipped().writeTo(dir.resolve("config"));
      CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
      JobClient job = StreamingJob.run(cli, new TestStreamEnvironment(flink.cluster(), new Configuration(), 2,
          List.of(), List.of()), JobSources.fromArgs(cli));
      TableIdentifier raw = TableIdentifier.of(NAMESPACE, "bid_events_raw");
      IntSupplier landed = () -> IcebergTables.rows(catalog, raw).size();

      try (Producer producer = new Producer(kafka)) {
        IcebergTables.awaitRows(catalog, raw, r -> r.size() >= 200, TIMEOUT);
        // Each node in turn, the first one leading partition 0: killed, the job carrying on with two (min ISR 2),
        // then back and caught up before the next goes, as a rolling restart does.
        List<Integer> order = new ArrayList<>();
        order.add(kafka.leaderOf(TOPIC, 0));
        for (int n = 1; n <= kafka.size(); n++) {
          if (!order.contains(n)) {
            order.add(n);
          }
        }
        for (int node : order) {
          long killedAt = System.nanoTime();
          kafka.kill(node);
          long fencedMs = (System.nanoTime() - killedAt) / 1_000_000;
          int before = landed.getAsInt();
          await("rows landing while node " + node + " is down", () -> landed.getAsInt() >= before + 200);
          long progressMs = (System.nanoTime() - killedAt) / 1_000_000;
          kafka.restart(node, Set.of(TOPIC, "__consumer_offsets"));
          System.out.printf("BROKER node=%d killed: fenced after %d ms, 200 more rows landed by %d ms, back and in "
              + "sync by %d ms%n", node, fencedMs, progressMs, (System.nanoTime() - killedAt) / 1_000_000);
        }
        producer.stopAndFlush();
        Set<String> acked = producer.acked();
        assertThat(producer.failure()).as("the producer's sends").isNull();
        List<Record> rows = IcebergTables.awaitRows(catalog, raw, r -> r.size() >= acked.size(), TIMEOUT);
        assertExactly(rows, acked);

        // A later commit must not bring back anything twice.
        Set<String> later = producer.sendMore(100);
        Set<String> all = new java.util.HashSet<>(acked);
        all.addAll(later);
        rows = IcebergTables.awaitRows(catalog, raw, r -> r.size() >= all.size(), TIMEOUT);
        assertExactly(rows, all);
        System.out.printf("BROKER acked=%d rows=%d lost=0 duplicated=0%n", all.size(), rows.size());
      } finally {
        job.cancel().get();
      }
    }
  }

  static void assertExactly(List<Record> rows, Set<String> sent) {
    Map<String, Long> counts = rows.stream().collect(Collectors.groupingBy(r -> (String) r.getField("bid_id"),
        Collectors.counting()));
    assertThat(counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
        .collect(Collectors.toList())).as("duplicated bids").isEmpty();
    assertThat(sent.stream().filter(id -> !counts.containsKey(id)).collect(Collectors.toList()))
        .as("lost bids").isEmpty();
    assertThat(counts.keySet()).as("bids never sent").isSubsetOf(sent);
  }

  static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + TIMEOUT + " waiting for " + what);
      }
      Thread.sleep(200);
    }
  }

  /** Bids with unique ids at about 400/s, spread over the partitions; counts those the brokers acknowledged. */
  static final class Producer implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final Set<String> acked = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private int next;

    Producer(KafkaCluster kafka) {
      producer = kafka.newProducer();
      thread = new Thread(() -> {
        while (running.get()) {
          send(20);
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "bid-producer");
      thread.start();
    }

    private synchronized List<String> send(int count) {
      List<String> ids = new ArrayList<>();
      for (String bid : ExactlyOnceITCase.bids("b", next, next + count)) {
        String id = "b" + next++;
        ids.add(id);
        producer.send(new ProducerRecord<>(TOPIC, next % PARTITIONS, null, bid.getBytes(StandardCharsets.UTF_8)),
            (metadata, e) -> {
              if (e == null) {
                acked.add(id);
              } else {
                failure.compareAndSet(null, e);
              }
            });
      }
      return ids;
    }

    void stopAndFlush() throws InterruptedException {
      running.set(false);
      thread.join();
      producer.flush();
    }

    Set<String> sendMore(int count) {
      List<String> ids = send(count);
      producer.flush();
      assertThat(acked).containsAll(ids);
      return Set.copyOf(ids);
    }

    Set<String> acked() {
      return Set.copyOf(acked);
    }

    Exception failure() {
      return failure.get();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join();
      producer.close();
    }
  }
}
