package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.PropertiesFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job end to end: a real in-process Kafka broker, a Flink MiniCluster, an Iceberg Hadoop
 * catalog on a temp directory, the shipped config/ files and transformers, started through
 * {@link StreamingJob#run}. Known events in; exact table contents out.
 */
class StreamingJobITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  static final long T0 = 1_704_067_200_000L; // 2024-01-01T00:00:00Z
  static final LocalDateTime MIDNIGHT = LocalDateTime.of(2024, 1, 1, 0, 0);
  static final Duration TIMEOUT = Duration.ofSeconds(120);

  static EmbeddedKafka kafka;
  @TempDir static Path dir;

  @BeforeAll
  static void broker() {
    kafka = EmbeddedKafka.start();
    kafka.createTopic("bid-events", 3);
    kafka.createTopic("user-activity", 1);
    kafka.createTopic("order-events", 1);
    kafka.createTopic("shop.public.customers", 1);
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  static String bid(long user, String bid, double amount, long offsetMs) {
    return String.format("{\"user_id\":%d,\"bid_id\":\"%s\",\"amount\":%s,\"timestamp_ms\":%d}", user, bid, amount,
        T0 + offsetMs);
  }

  static String customer(long id, String name, String email, String country) {
    return String.format("{\"customer_id\":%d,\"name\":\"%s\",\"email\":\"%s\",\"country\":\"%s\"}", id, name,
        email, country);
  }

  static String change(String op, String before, String after) {
    return "{\"before\":" + before + ",\"after\":" + after + ",\"op\":\"" + op + "\",\"ts_ms\":" + T0 + "}";
  }

  @Test
  void allShippedPipelinesRunAsOneJobAndWriteExactRows(@InjectClusterClient ClusterClient<?> client) throws Exception {
    // Each partition gets its own events and a late "closer" at 00:03:20: the watermark is the minimum
    // over partitions, so every partition must pass 00:02:05 for the first two windows to fire.
    kafka.send("bid-events", 0, List.of(bid(1, "b1", 10.0, 1_000), bid(2, "b2", 20.0, 2_000), bid(9, "c0", 0.5, 200_000)));
    kafka.send("bid-events", 1, List.of(bid(1, "b3", 30.0, 30_000), bid(1, "b4", 5.5, 61_000), bid(9, "c1", 0.5, 200_000)));
    kafka.send("bid-events", 2, List.of(bid(2, "b5", 7.0, 59_999), bid(3, "b6", 1.0, 90_000), bid(9, "c2", 0.5, 200_000)));
    kafka.send("order-events", List.of(
        "{\"order_id\":\"o1\",\"user_id\":1,\"amount\":10.5,\"status\":\"paid\",\"timestamp_ms\":" + T0 + "}",
        "{\"order_id\":\"o2\",\"user_id\":2,\"amount\":0.0,\"status\":\"paid\",\"timestamp_ms\":" + T0 + "}",
        "{\"order_id\":\"o3\",\"user_id\":3,\"amount\":-3.0,\"status\":\"refund\",\"timestamp_ms\":" + T0 + "}",
        "{\"order_id\":\"o4\",\"user_id\":4,\"amount\":99.99,\"status\":\"shipped\",\"timestamp_ms\":" + (T0 + 3_723_456) + "}"));
    kafka.send("user-activity", List.of(
        "{\"user_id\":1,\"activity_type\":\"view\",\"page_url\":\"/home\",\"timestamp_ms\":" + T0 + "}",
        "{\"user_id\":2,\"activity_type\":\"click\",\"page_url\":\"/cart\",\"timestamp_ms\":" + (T0 + 1_500) + "}",
        "{\"user_id\":3,\"activity_type\":\"scroll\",\"page_url\":null,\"timestamp_ms\":" + (T0 + 86_400_000) + "}"));

    // Debezium change events of the customers table: an update, a customer leaving the filter (a test
    // address), one joining it, a delete with its tombstone, and a record that is not a change event.
    String ann = customer(1, "Ann", "Ann@X.COM", "DE");
    String annNew = customer(1, "Ann", "ann@NEW.com", "DE");
    String bobTest = customer(2, "Bob", "bob@example.test", "US");
    String bobReal = customer(2, "Bob", "bob@real.com", "US");
    String cid = customer(3, "Cid", "cid@x.com", "FR");
    String cidTest = customer(3, "Cid", "cid@example.test", "FR");
    String dee = customer(4, "Dee", "dee@x.com", "NL");
    java.util.List<String> changes = new java.util.ArrayList<>(List.of(change("c", "null", ann), change("c", "null", bobTest),
        change("c", "null", cid), change("u", ann, annNew), change("u", cid, cidTest), change("u", bobTest, bobReal),
        change("d", annNew, "null")));
    changes.add(null); // Kafka's tombstone after a delete
    changes.addAll(List.of(change("c", "null", dee), "{not a change event"));
    kafka.send("shop.public.customers", changes);

    // The real config/ files, plus one disabled topic that must create nothing.
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.writeString(config.resolve("topics.yaml"), Files.readString(Path.of("config/topics.yaml"))
        + "\n  disabled-topic:\n    enabled: false\n    kafka_group_id: \"g\"\n    source_schema:\n"
        + "      - name: \"x\"\n        type: \"STRING\"\n    sink:\n      table_name: \"never_created\"\n"
        + "      schema:\n        - name: \"x\"\n          type: \"STRING\"\n    transformation: \"not_registered\"\n");
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"));
    Path warehouse = dir.resolve("warehouse");
    Path props = PropertiesFile.local(kafka.bootstrapServers(), warehouse, "e2e")
        .set("Job", "parallelism", "1").set("Job", "checkpoint.interval", "1 s")
        .writeTo(dir.resolve("props.json"));
    CliArgs cli = CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
    JobClient result = StreamingJob.run(cli, StreamExecutionEnvironment.getExecutionEnvironment(), JobSources.fromArgs(cli));
    try {
      HadoopCatalog catalog = new HadoopCatalog(new Configuration(), warehouse.toUri().toString());

      List<Record> raw = IcebergTables.awaitRows(catalog, TableIdentifier.of("e2e", "bid_events_raw"),
          rows -> rows.size() >= 9, TIMEOUT);
      assertThat(raw).extracting(r -> r.getField("bid_id"), r -> r.getField("user_id"), r -> r.getField("amount"),
              r -> r.getField("event_time"))
          .containsExactlyInAnyOrder(
              tuple("b1", 1L, 10.0, MIDNIGHT.plusSeconds(1)),
              tuple("b2", 2L, 20.0, MIDNIGHT.plusSeconds(2)),
              tuple("b3", 1L, 30.0, MIDNIGHT.plusSeconds(30)),
              tuple("b4", 1L, 5.5, MIDNIGHT.plusSeconds(61)),
              tuple("b5", 2L, 7.0, MIDNIGHT.plusNanos(59_999_000_000L)),
              tuple("b6", 3L, 1.0, MIDNIGHT.plusSeconds(90)),
              tuple("c0", 9L, 0.5, MIDNIGHT.plusSeconds(200)),
              tuple("c1", 9L, 0.5, MIDNIGHT.plusSeconds(200)),
              tuple("c2", 9L, 0.5, MIDNIGHT.plusSeconds(200)));
      assertThat(raw).allSatisfy(r -> assertThat(r.getField("ingestion_time")).isInstanceOf(LocalDateTime.class));

      List<Record> orders = IcebergTables.awaitRows(catalog, TableIdentifier.of("e2e", "order_events_enriched"),
          rows -> rows.size() >= 2, TIMEOUT);
      assertThat(orders).extracting(r -> r.getField("order_id"), r -> r.getField("amount"), r -> r.getField("status"),
              r -> r.getField("order_time"))
          .containsExactlyInAnyOrder(
              tuple("o1", 10.5, "paid", MIDNIGHT),
              tuple("o4", 99.99, "shipped", LocalDateTime.of(2024, 1, 1, 1, 2, 3, 456_000_000)));

      List<Record> activity = IcebergTables.awaitRows(catalog, TableIdentifier.of("e2e", "user_events_processed"),
          rows -> rows.size() >= 3, TIMEOUT);
      assertThat(activity).extracting(r -> r.getField("user_id"), r -> r.getField("activity_type"),
              r -> r.getField("page_url"), r -> r.getField("activity_time"))
          .containsExactlyInAnyOrder(
              tuple(1L, "view", "/home", MIDNIGHT),
              tuple(2L, "click", "/cart", MIDNIGHT.plusNanos(1_500_000_000L)),
              tuple(3L, "scroll", null, MIDNIGHT.plusDays(1)));

      List<Record> windows = IcebergTables.awaitRows(catalog, TableIdentifier.of("e2e", "bid_events_aggregated"),
          rows -> rows.size() >= 4, TIMEOUT);
      assertThat(windows).extracting(r -> r.getField("user_id"), r -> r.getField("bid_count"),
              r -> r.getField("window_start"), r -> r.getField("window_end"))
          .containsExactlyInAnyOrder(
              tuple(1L, 2L, MIDNIGHT, MIDNIGHT.plusMinutes(1)),
              tuple(2L, 2L, MIDNIGHT, MIDNIGHT.plusMinutes(1)),
              tuple(1L, 1L, MIDNIGHT.plusMinutes(1), MIDNIGHT.plusMinutes(2)),
              tuple(3L, 1L, MIDNIGHT.plusMinutes(1), MIDNIGHT.plusMinutes(2)));

      // The table as the source table is now, read with Iceberg's reader (equality deletes applied).
      List<Record> customers = IcebergTables.awaitRows(catalog, TableIdentifier.of("e2e", "customers"),
          rows -> rows.size() == 2 && rows.stream().anyMatch(r -> r.getField("customer_id").equals(4L)), TIMEOUT);
      assertThat(customers).extracting(r -> r.getField("customer_id"), r -> r.getField("name"), r -> r.getField("email"),
              r -> r.getField("country"))
          .containsExactlyInAnyOrder(tuple(2L, "Bob", "bob@real.com", "US"), tuple(4L, "Dee", "dee@x.com", "NL"));
      List<Record> deadLetters = IcebergTables.awaitRows(catalog, TableIdentifier.of("e2e", "dead_letters"),
          rows -> !rows.isEmpty(), TIMEOUT);
      assertThat(deadLetters).singleElement().satisfies(r -> {
        assertThat(r.getField("pipeline")).isEqualTo("customers");
        assertThat(r.getField("kafka_offset")).isEqualTo(9L);
      });

      // One Flink job for all five pipelines; the disabled topic left no trace.
      Collection<JobStatusMessage> jobs = client.listJobs().get();
      assertThat(jobs.stream().filter(j -> j.getJobState() == JobStatus.RUNNING).collect(Collectors.toList()))
          .singleElement()
          .satisfies(j -> assertThat(j.getJobName())
              .isEqualTo("kafka-to-iceberg: bid-events, user-activity, order-events, bid-events-aggregated, customers"))
          .satisfies(j -> assertThat(j.getJobId()).isEqualTo(result.getJobID()));
      assertThat(catalog.listTables(org.apache.iceberg.catalog.Namespace.of("e2e")))
          .extracting(TableIdentifier::name)
          .containsExactlyInAnyOrder("bid_events_raw", "user_events_processed", "order_events_enriched",
              "bid_events_aggregated", "customers", "dead_letters", "late_records");
      // Every bid came in order on its partition: none is late, all are counted in the windows above.
      assertThat(IcebergTables.rows(catalog, TableIdentifier.of("e2e", "late_records"))).as("late records").isEmpty();
    } finally {
      result.cancel().get();
    }
  }
}
