package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.PropertiesFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed records interleaved with good ones: the good ones land in the sink, every malformed one
 * in the dead-letter table with its partition, offset and payload, and the job keeps running.
 */
class DeadLetterITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  static final long T0 = 1_704_067_200_000L;

  @TempDir Path dir;

  @Test
  void malformedRecordsGoToTheDeadLetterTableAndNothingIsLost() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("bid-events", 1);
      String huge = "{\"user_id\":1,\"bid_id\":\"" + "x".repeat(900_000) + "\",\"amount\":\"lots\",\"timestamp_ms\":1}";
      List<String> malformed = List.of(
          "not json at all",
          "[1, 2, 3]",
          "{\"user_id\":\"abc\",\"bid_id\":\"b\",\"amount\":1.0,\"timestamp_ms\":1}",
          "{\"user_id\":1}",
          "",
          huge);
      int good = 0;
      List<String> records = new ArrayList<>();
      List<Long> badOffsets = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        if (i % 10 == 5) {
          badOffsets.add((long) records.size());
          records.add(malformed.get(i / 10));
        } else {
          records.add(String.format("{\"user_id\":%d,\"bid_id\":\"g%d\",\"amount\":%d.5,\"timestamp_ms\":%d}", i % 4, i, i,
              T0 + i * 1000L));
          good++;
        }
      }
      kafka.send("bid-events", 0, records);

      Path warehouse = dir.resolve("warehouse");
      Path props = PropertiesFile.local(kafka.bootstrapServers(), warehouse, "dlq")
          .set("Job", "parallelism", "1").set("Job", "checkpoint.interval", "1 s")
          .set("Job", "topics", "bid-events,bid-events-aggregated")
          .writeTo(dir.resolve("props.json"));
      CliArgs cli = CliArgs.parse("--config-dir", "config", "--properties", props.toString());
      JobClient result = StreamingJob.run(cli, StreamExecutionEnvironment.getExecutionEnvironment(),
          JobSources.fromArgs(cli));
      try {
        HadoopCatalog catalog = new HadoopCatalog(new Configuration(), warehouse.toUri().toString());
        int expectedGood = good;
        List<Record> rows = IcebergTables.awaitRows(catalog, TableIdentifier.of("dlq", "bid_events_raw"),
            r -> r.size() >= expectedGood, Duration.ofSeconds(120));
        assertThat(rows).hasSize(good);
        assertThat(rows).extracting(r -> r.getField("bid_id")).doesNotHaveDuplicates()
            .allSatisfy(id -> assertThat((String) id).startsWith("g"));

        // Both pipelines read bid-events, so each keeps its own copy of every malformed record.
        List<Record> dead = IcebergTables.awaitRows(catalog, TableIdentifier.of("dlq", "dead_letters"),
            r -> r.size() >= 2 * malformed.size(), Duration.ofSeconds(60));
        assertThat(dead).hasSize(2 * malformed.size());
        for (String pipeline : List.of("bid-events", "bid-events-aggregated")) {
          List<Record> mine = dead.stream().filter(r -> pipeline.equals(r.getField("pipeline")))
              .sorted(java.util.Comparator.comparing(r -> (Long) r.getField("kafka_offset")))
              .collect(Collectors.toList());
          assertThat(mine).extracting(r -> r.getField("kafka_topic"), r -> r.getField("kafka_partition"),
                  r -> r.getField("kafka_offset"))
              .containsExactlyElementsOf(badOffsets.stream().map(o -> tuple("bid-events", 0, o))
                  .collect(Collectors.toList()));
          for (int i = 0; i < malformed.size(); i++) {
            assertThat(utf8((ByteBuffer) mine.get(i).getField("payload"))).isEqualTo(malformed.get(i));
            assertThat((String) mine.get(i).getField("error")).isNotBlank();
            assertThat(mine.get(i).getField("kafka_timestamp")).isNotNull();
          }
          assertThat((String) mine.get(4).getField("error")).isEqualTo("empty payload");
        }
        assertThat(result.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
      } finally {
        result.cancel().get();
      }
    }
  }

  private static String utf8(ByteBuffer b) {
    ByteBuffer copy = b.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
