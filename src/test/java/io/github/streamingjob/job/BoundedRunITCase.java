package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.PropertiesFile;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.core.execution.JobClient;
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
 * A bounded run ({@code KafkaSource.bounded=true}) whose writers finish far apart, with checkpoints
 * in between: the first writer's last files must not be lost. Iceberg's committer keeps end-of-input
 * files under one key, so a checkpoint between two writers' ends made the second overwrite the first.
 */
class BoundedRunITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  @TempDir Path dir;

  @Test
  void writersEndingAtDifferentTimesLoseNothing() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("bid-events", 2);
      // Partition 0 is read in an instant, partition 1 takes seconds: each by its own subtask.
      kafka.send("bid-events", 0, ExactlyOnceITCase.bids("small-", 0, 10));
      int large = 100_000;
      kafka.send("bid-events", 1, ExactlyOnceITCase.bids("large-", 0, large));

      Path warehouse = dir.resolve("warehouse");
      Path props = PropertiesFile.local(kafka.bootstrapServers(), warehouse, "bounded")
          .set("KafkaSource", "bounded", "true")
          .set("Job", "parallelism", "2").set("Job", "checkpoint.interval", "100 ms")
          .set("Job", "topics", "bid-events")
          .writeTo(dir.resolve("props.json"));
      CliArgs cli = CliArgs.parse("--config-dir", "config", "--properties", props.toString());
      JobClient result = StreamingJob.run(cli, StreamExecutionEnvironment.getExecutionEnvironment(),
          JobSources.fromArgs(cli));
      result.getJobExecutionResult().get(); // bounded: the job ends by itself after its last commit

      HadoopCatalog catalog = new HadoopCatalog(new Configuration(), warehouse.toUri().toString());
      List<Record> rows = IcebergTables.rows(catalog, TableIdentifier.of("bounded", "bid_events_raw"));
      assertThat(rows.stream().filter(r -> ((String) r.getField("bid_id")).startsWith("small-")).count())
          .as("rows of the writer that finished first").isEqualTo(10);
      // Every event exactly once: the same ids as sent, none twice.
      List<String> expected = new java.util.ArrayList<>();
      java.util.stream.IntStream.range(0, 10).forEach(i -> expected.add("small-" + i));
      java.util.stream.IntStream.range(0, large).forEach(i -> expected.add("large-" + i));
      assertThat(rows.stream().map(r -> (String) r.getField("bid_id"))).doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(expected);
    }
  }
}
