package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.TopicsYaml;
import io.github.streamingjob.testing.WindowedBids;
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
import org.apache.iceberg.catalog.Catalog;
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
 * each time. Every bid the producer had acknowledged must be in the raw table once, none lost, none twice, and in its
 * window's count (or, behind the watermark, once in late_records), and again after a later commit.
 */
class BrokerFailureITCase {
  static final String TOPIC = "bid-events";
  /** The windowed pipeline on the same topic: bids per user per minute of event time. */
  static final String WINDOWS = WindowedBids.PIPELINE;
  static final long T0 = 1_767_225_600_000L;
  /** Event time runs 50 times faster than the producer: a window closes every few seconds, outages included. */
  static final long EVENT_MS_PER_BID = 20;
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
          .set("Job", "parallelism", "2").set("Job", "checkpoint.interval", "1 s")
          .set("Job", "topics", TOPIC + "," + WINDOWS)
          .writeTo(dir.resolve("props.json"));
      Path config = TopicsYaml.shipped().writeTo(dir.resolve("config"));
      CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
      JobClient job = StreamingJob.run(cli, new TestStreamEnvironment(flink.cluster(), new Configuration(), 2,
          List.of(), List.of()), JobSources.fromArgs(cli));
      TableIdentifier raw = TableIdentifier.of(NAMESPACE, "bid_events_raw");
      IntSupplier landed = () -> IcebergTables.rows(catalog, raw).size();

      try (Producer producer = new Producer(kafka.newProducer())) {
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
        assertThat(producer.failure()).as("the producer's sends").isNull();
        // A bid a day ahead on every partition moves the watermark past every window of the bids sent.
        producer.sendClocks();
        Set<String> acked = producer.acked();
        List<Record> rows = IcebergTables.awaitRows(catalog, raw, r -> r.size() >= acked.size(), TIMEOUT);
        assertExactly(rows, acked);
        TableIdentifier windows = TableIdentifier.of(NAMESPACE, "bid_events_aggregated");
        await("every window of the bids sent closed", () -> windowRows(catalog, windows)
            .equals(producer.expectedWindows(lateBids(catalog, NAMESPACE))));
        Set<String> late = lateBids(catalog, NAMESPACE);

        // A later commit must not bring back anything twice (these bids are behind the watermark: kept as late).
        Set<String> later = producer.sendMore(100);
        Set<String> all = new java.util.HashSet<>(acked);
        all.addAll(later);
        rows = IcebergTables.awaitRows(catalog, raw, r -> r.size() >= all.size(), TIMEOUT);
        assertExactly(rows, all);
        await("the later bids kept as late", () -> lateBids(catalog, NAMESPACE).containsAll(later));
        assertThat(windowRows(catalog, windows)).as("windows after a later commit (the later bids are late)")
            .isEqualTo(producer.expectedWindows(lateBids(catalog, NAMESPACE)));
        assertThat(lateRecords(catalog, NAMESPACE)).as("late bids, each kept once").doesNotHaveDuplicates();
        assertThat(lateBids(catalog, NAMESPACE)).as("late bids, each one sent").isSubsetOf(all);
        System.out.printf("BROKER acked=%d rows=%d windows=%d late_before_clocks=%d lost=0 duplicated=0%n",
            all.size(), rows.size(), windowRows(catalog, windows).size(), late.size());
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

  static List<String> windowRows(Catalog catalog, TableIdentifier windows) {
    return WindowedBids.windowRows(catalog, windows);
  }

  static List<String> lateRecords(Catalog catalog, String namespace) {
    return WindowedBids.lateRecords(catalog, namespace);
  }

  static Set<String> lateBids(Catalog catalog, String namespace) {
    return new java.util.HashSet<>(WindowedBids.lateBidIds(catalog, namespace));
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

  /**
   * Bids with unique ids at about 400/s, spread over the partitions, their event times {@link #EVENT_MS_PER_BID}
   * apart; keeps those the brokers acknowledged.
   */
  static final class Producer implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final Set<String> acked = ConcurrentHashMap.newKeySet();
    /** Bid id to "user window_start" (epoch ms). */
    private final Map<String, String> sent = new ConcurrentHashMap<>();
    private final Set<String> clocks = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private int next;

    Producer(KafkaProducer<byte[], byte[]> producer) {
      this.producer = producer;
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
      for (int i = 0; i < count; i++, next++) {
        ids.add(send(next % PARTITIONS, "b" + next, next % 50, T0 + next * EVENT_MS_PER_BID));
      }
      return ids;
    }

    private String send(int partition, String id, long user, long timestampMs) {
      String bid = String.format("{\"user_id\":%d,\"bid_id\":\"%s\",\"amount\":%d.25,\"timestamp_ms\":%d}", user,
          id, timestampMs % 1000, timestampMs);
      sent.put(id, user + " " + (timestampMs - timestampMs % 60_000));
      producer.send(new ProducerRecord<>(TOPIC, partition, null, bid.getBytes(StandardCharsets.UTF_8)),
          (metadata, e) -> {
            if (e == null) {
              acked.add(id);
            } else {
              failure.compareAndSet(null, e);
            }
          });
      return id;
    }

    /** One bid a day ahead per partition; in the raw table like any other, in a window that never closes. */
    void sendClocks() {
      for (int p = 0; p < PARTITIONS; p++) {
        clocks.add(send(p, "clock-" + p, 0, T0 + 86_400_000L));
      }
      producer.flush();
    }

    /** "user window_start count" of every window of the bids acknowledged, late ones and clocks left out. */
    List<String> expectedWindows(Set<String> late) {
      Map<String, Long> counts = acked.stream().filter(id -> !clocks.contains(id) && !late.contains(id))
          .collect(Collectors.groupingBy(sent::get, Collectors.counting()));
      return counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).sorted()
          .collect(Collectors.toList());
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
