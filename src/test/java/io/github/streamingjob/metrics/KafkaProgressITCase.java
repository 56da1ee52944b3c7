package io.github.streamingjob.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.local.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A group's lag and the age of its oldest record not taken in, against a real broker: records with Kafka timestamps
 * set by the producer, offsets committed by the group as Flink's source commits them.
 */
class KafkaProgressITCase {
  static final String TOPIC = "progress";
  static final String GROUP = "progress-group";
  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  static EmbeddedKafka kafka;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
    kafka.createTopic(TOPIC, 3);
  }

  @AfterAll
  static void stop() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void lagAndAgeOfTheOldestRecordNotYetTakenIn() throws Exception {
    // Partition p gets 10 records, at T0 + p minutes + i seconds.
    try (KafkaProducer<byte[], byte[]> producer = kafka.newProducer()) {
      for (int p = 0; p < 3; p++) {
        for (int i = 0; i < 10; i++) {
          producer.send(new ProducerRecord<>(TOPIC, p, T0 + p * 60_000L + i * 1000L, null,
              ("r" + p + "-" + i).getBytes(StandardCharsets.UTF_8))).get();
        }
      }
    }
    Map<String, String> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
    try (KafkaProgress progress = new KafkaProgress(client, TOPIC, GROUP)) {
      KafkaProgress.Position nothingCommitted = progress.measure(Duration.ofSeconds(30));
      assertThat(nothingCommitted.lagRecords()).as("no offset committed: every record pending").isEqualTo(30);
      assertThat(nothingCommitted.oldestPendingMillis()).hasValue(T0);

      // As a checkpoint commits them: partition 0 all taken in, 1 up to its 4th record, 2 up to its 7th.
      commit(Map.of(0, 10L, 1, 4L, 2, 7L));
      KafkaProgress.Position some = progress.measure(Duration.ofSeconds(30));
      assertThat(some.lagRecords()).isEqualTo(0 + 6 + 3);
      assertThat(some.oldestPendingMillis()).as("partition 1's 5th record is the oldest pending")
          .hasValue(T0 + 60_000L + 4_000L);
      assertThat(some.behindSeconds(T0 + 60_000L + 4_000L + 12_500L)).isEqualTo(12.5);

      commit(Map.of(1, 10L, 2, 10L));
      KafkaProgress.Position all = progress.measure(Duration.ofSeconds(30));
      assertThat(all.lagRecords()).isZero();
      assertThat(all.oldestPendingMillis()).isEmpty();
      assertThat(all.behindSeconds(System.currentTimeMillis())).as("every record produced is in").isZero();

      // A new record, 30 s old when measured.
      try (KafkaProducer<byte[], byte[]> producer = kafka.newProducer()) {
        producer.send(new ProducerRecord<>(TOPIC, 2, System.currentTimeMillis() - 30_000, null, new byte[] {1})).get();
      }
      KafkaProgress.Position late = progress.measure(Duration.ofSeconds(30));
      assertThat(late.lagRecords()).isEqualTo(1);
      assertThat(late.behindSeconds(System.currentTimeMillis())).isBetween(30.0, 120.0);
    }
  }

  /** Commits offsets for the group, by partition, as Flink's Kafka source does when a checkpoint completes. */
  static void commit(Map<Integer, Long> offsets) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Map<TopicPartition, OffsetAndMetadata> commit = new java.util.HashMap<>();
      offsets.forEach((partition, offset) -> commit.put(new TopicPartition(TOPIC, partition), new OffsetAndMetadata(offset)));
      c.commitSync(commit);
    }
  }
}
