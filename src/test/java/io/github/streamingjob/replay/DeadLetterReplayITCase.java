package io.github.streamingjob.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.config.RuntimeProperties;
import io.github.streamingjob.job.CliArgs;
import io.github.streamingjob.job.JobSources;
import io.github.streamingjob.job.StreamingJob;
import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.PropertiesFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workflow the troubleshooting guide gives: records the pipeline cannot decode land in the dead-letter
 * table; the pipeline's decoding is relaxed and the job resumed from its savepoint; the dead letters are
 * replayed (a dry run first, then for real, then once more) and each reaches the sink exactly once.
 */
class DeadLetterReplayITCase {
  static final Duration TIMEOUT = Duration.ofSeconds(120);
  static final long T0 = 1_704_067_200_000L;

  @TempDir Path dir;

  static String order(String id, boolean withStatus) {
    return "{\"order_id\":\"" + id + "\",\"user_id\":7,\"amount\":12.5," + (withStatus ? "\"status\":\"NEW\"," : "")
        + "\"timestamp_ms\":" + T0 + "}";
  }

  @Test
  void malformedRecordsAreReplayedAfterTheFixAndLandExactlyOnce() throws Exception {
    Configuration clusterConf = new Configuration();
    clusterConf.setString("rest.bind-port", "0"); // a local run or another build may hold 8081
    MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(clusterConf)
        .setNumTaskManagers(1).setNumSlotsPerTaskManager(2).build());
    cluster.start();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("order-events", 2);
      List<String> records = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        records.add(order("o" + i, i % 4 != 0)); // every fourth lacks 'status': malformed for the strict schema
      }
      kafka.send("order-events", records);
      Path warehouse = dir.resolve("warehouse");
      Path props = PropertiesFile.local(kafka.bootstrapServers(), warehouse, "replay")
          .set("Job", "parallelism", "1").set("Job", "checkpoint.interval", "500 ms").set("Job", "topics", "order-events")
          .writeTo(dir.resolve("props.json"));
      HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), warehouse.toUri().toString());
      TableIdentifier sink = TableIdentifier.of("replay", "order_events_enriched");
      TableIdentifier deadLetters = TableIdentifier.of("replay", "dead_letters");

      // 1. The shipped, strict schema: 15 rows, 5 dead letters.
      JobClient strict = start(cluster, "config", props, null);
      IcebergTables.awaitRows(catalog, sink, r -> r.size() >= 15, TIMEOUT);
      IcebergTables.awaitRows(catalog, deadLetters, r -> r.size() >= 5, TIMEOUT);
      String savepoint = strict.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
          SavepointFormatType.CANONICAL).get();

      // 2. The fix: the pipeline accepts records without 'status'; the job resumes where it stopped.
      Path relaxed = Files.createDirectories(dir.resolve("relaxed"));
      Files.writeString(relaxed.resolve("topics.yaml"), Files.readString(Path.of("config/topics.yaml")).replace(
          "  order-events:\n    enabled: true\n",
          "  order-events:\n    enabled: true\n    format_options:\n      fail-on-missing-field: false\n"));
      Files.copy(Path.of("config/transformations.yaml"), relaxed.resolve("transformations.yaml"));
      JobClient fixed = start(cluster, relaxed.toString(), props, savepoint);
      try {
        // 3. A dry run shows the five and sends nothing.
        Run dry = replay(props, relaxed, "--dry-run");
        assertThat(dry.result.selected).isEqualTo(5);
        assertThat(dry.result.sent).isZero();
        assertThat(dry.out).contains("5 dead letter(s) of pipeline 'order-events'", "would send 5 to topic 'order-events'",
            "order-events/", "\"order_id\":\"o0\"");
        // 4. The replay sends them; a second run finds them sent and sends nothing.
        Run first = replay(props, relaxed);
        assertThat(first.result.sent).isEqualTo(5);
        assertThat(first.result.failed).isZero();
        Run again = replay(props, relaxed);
        assertThat(again.result.alreadyReplayed).isEqualTo(5);
        assertThat(again.result.sent).isZero();
        // 5. Every order once, the replayed ones with a NULL status; then a later commit, and still so.
        IcebergTables.awaitRows(catalog, sink, r -> r.size() >= 20, TIMEOUT);
        kafka.send("order-events", List.of(order("later", true)));
        List<Record> rows = IcebergTables.awaitRows(catalog, sink, r -> r.stream()
            .anyMatch(x -> "later".equals(x.getField("order_id"))), TIMEOUT);
        List<String> ids = rows.stream().map(r -> (String) r.getField("order_id")).sorted().collect(Collectors.toList());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          expected.add("o" + i);
        }
        expected.add("later");
        assertThat(ids).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
        assertThat(rows.stream().filter(r -> r.getField("status") == null).map(r -> (String) r.getField("order_id")))
            .containsExactlyInAnyOrder("o0", "o4", "o8", "o12", "o16");
        // The replays decoded: no new dead letter.
        assertThat(IcebergTables.rows(catalog, deadLetters)).hasSize(5);
      } finally {
        fixed.cancel().get();
      }
    } finally {
      cluster.close();
    }
  }

  private static JobClient start(MiniCluster cluster, String configDir, Path props, String savepoint) throws Exception {
    Configuration conf = new Configuration();
    if (savepoint != null) {
      conf.setString("execution.savepoint.path", savepoint);
    }
    CliArgs cli = CliArgs.parse("--config-dir", configDir, "--properties", props.toString());
    return StreamingJob.run(cli, new TestStreamEnvironment(cluster, conf, 1, List.of(), List.of()),
        JobSources.fromArgs(cli));
  }

  static final class Run {
    final ReplayDeadLetters.Result result;
    final String out;

    Run(ReplayDeadLetters.Result result, String out) {
      this.result = result;
      this.out = out;
    }
  }

  private static Run replay(Path props, Path configDir, String... extra) {
    List<String> args = new ArrayList<>(List.of("--properties", props.toString(), "--pipeline", "order-events",
        "--config-dir", configDir.toString()));
    args.addAll(List.of(extra));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ReplayDeadLetters.Result result = new ReplayDeadLetters(ReplayDeadLetters.ReplayArgs.parse(args.toArray(new String[0])),
        RuntimeProperties.fromFile(props), new PrintStream(out, true, StandardCharsets.UTF_8)).run();
    String printed = out.toString(StandardCharsets.UTF_8);
    System.out.print(printed);
    return new Run(result, printed);
  }
}
