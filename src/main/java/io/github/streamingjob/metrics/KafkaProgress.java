package io.github.streamingjob.metrics;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * How far a consumer group is behind its topic, by count and by time. The group's committed offsets are what the
 * job's last completed checkpoint took in (Flink's Kafka source commits them when a checkpoint completes, as the
 * Iceberg committers commit that checkpoint's files). The first record after each partition's committed offset is
 * the oldest not yet taken in; its Kafka timestamp says how old the newest gap in the table is.
 *
 * <p>It reads with the group's id to look up its offsets, but only by assignment: it never joins the group nor
 * commits.
 */
public final class KafkaProgress implements AutoCloseable {
  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;

  public KafkaProgress(Map<String, String> clientProperties, String topic, String groupId) {
    this.topic = topic;
    Properties p = new Properties();
    p.putAll(clientProperties);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "progress-" + groupId);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    // One record per partition is all it reads.
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "16384");
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, "1048576");
    this.consumer = new KafkaConsumer<>(p);
  }

  /** Where the group stands now; throws when Kafka does not answer within {@code timeout}. */
  public Position measure(Duration timeout) {
    List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
        .map(i -> new TopicPartition(i.topic(), i.partition())).collect(Collectors.toList());
    Set<TopicPartition> all = Set.copyOf(partitions);
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(all, timeout);
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(all, timeout);
    Map<TopicPartition, Long> end = consumer.endOffsets(all, timeout);
    Map<TopicPartition, Long> pending = new HashMap<>();
    long lag = 0;
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata c = committed.get(tp);
      long from = Math.max(c == null ? 0 : c.offset(), begin.getOrDefault(tp, 0L));
      long to = end.getOrDefault(tp, from);
      if (from < to) {
        pending.put(tp, from);
        lag += to - from;
      }
    }
    return new Position(lag, oldestTimestamp(pending, end, timeout));
  }

  /** The smallest Kafka timestamp among the first records at {@code offsets}. */
  private OptionalLong oldestTimestamp(Map<TopicPartition, Long> offsets, Map<TopicPartition, Long> end,
      Duration timeout) {
    if (offsets.isEmpty()) {
      return OptionalLong.empty();
    }
    consumer.assign(offsets.keySet());
    offsets.forEach(consumer::seek);
    Map<TopicPartition, Long> first = new HashMap<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (first.size() < offsets.size() && System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (!first.containsKey(tp)) {
          first.put(tp, r.timestamp());
          consumer.pause(List.of(tp));
        }
      }
      // A partition whose pending offsets hold only transaction markers yields no record: done once read past.
      if (offsets.keySet().stream().allMatch(tp -> first.containsKey(tp) || consumer.position(tp) >= end.get(tp))) {
        break;
      }
    }
    consumer.assign(List.of());
    OptionalLong oldest = OptionalLong.empty();
    for (long ts : first.values()) {
      if (ts >= 0 && (oldest.isEmpty() || ts < oldest.getAsLong())) {
        oldest = OptionalLong.of(ts);
      }
    }
    return oldest;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }

  /** A group's position: records not yet taken in, and the Kafka timestamp of the oldest of them. */
  public static final class Position {
    private final long lagRecords;
    private final OptionalLong oldestPendingMillis;

    Position(long lagRecords, OptionalLong oldestPendingMillis) {
      this.lagRecords = lagRecords;
      this.oldestPendingMillis = oldestPendingMillis;
    }

    public long lagRecords() {
      return lagRecords;
    }

    /** Empty when every record produced has been taken in. */
    public OptionalLong oldestPendingMillis() {
      return oldestPendingMillis;
    }

    /** Seconds the table is behind at {@code nowMillis}: the oldest pending record's age, 0 when none is. */
    public double behindSeconds(long nowMillis) {
      return oldestPendingMillis.isPresent() ? Math.max(0, nowMillis - oldestPendingMillis.getAsLong()) / 1000.0 : 0;
    }
  }
}
