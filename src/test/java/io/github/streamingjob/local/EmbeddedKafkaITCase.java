package io.github.streamingjob.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/** Starts real in-process brokers: a round trip, then several brokers in one JVM. */
class EmbeddedKafkaITCase {

  @Test
  void roundTripThenSecondBrokerInSameJvm() {
    List<String> values = IntStream.range(0, 100).mapToObj(i -> "value-" + i).collect(Collectors.toList());

    EmbeddedKafka first = EmbeddedKafka.start();
    try {
      assertThat(first.bootstrapServers()).matches("localhost:\\d+");
      first.createTopic("events", 3);
      first.createTopic("events", 3); // idempotent
      first.send("events", values);

      List<String> consumed = consumeAll(first, "events", 3, values.size());
      assertThat(consumed).hasSize(100).containsExactlyInAnyOrderElementsOf(values);
    } finally {
      first.close();
    }
    first.close(); // safe twice

    try (EmbeddedKafka second = EmbeddedKafka.start()) {
      assertThat(second.bootstrapServers()).isNotEqualTo(first.bootstrapServers());
      second.createTopic("events", 1);
      second.send("events", 0, List.of("again"));
      assertThat(consumeAll(second, "events", 1, 1)).containsExactly("again");
    }
  }

  @Test
  void twoBrokersAtTheSameTime() {
    try (EmbeddedKafka a = EmbeddedKafka.start(); EmbeddedKafka b = EmbeddedKafka.start()) {
      a.createTopic("t", 2);
      b.createTopic("t", 2);
      a.send("t", 1, List.of("a1", "a2"));
      b.send("t", 0, List.of("b1"));
      assertThat(consumeAll(a, "t", 2, 2)).containsExactly("a1", "a2");
      assertThat(consumeAll(b, "t", 2, 1)).containsExactly("b1");
    }
  }

  /** Reads every partition from the beginning (no group) until {@code expected} records arrive. */
  private static List<String> consumeAll(EmbeddedKafka kafka, String topic, int partitions, int expected) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<String> result = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
           new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> assignment = IntStream.range(0, partitions)
          .mapToObj(p -> new TopicPartition(topic, p)).collect(Collectors.toList());
      consumer.assign(assignment);
      consumer.seekToBeginning(assignment);
      long deadline = System.currentTimeMillis() + 30_000;
      while (result.size() < expected && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          result.add(new String(record.value(), StandardCharsets.UTF_8));
        }
      }
      // One more short poll: more records than expected would be a bug too.
      consumer.poll(Duration.ofMillis(200)).forEach(r -> result.add(new String(r.value(), StandardCharsets.UTF_8)));
    }
    return result;
  }
}
