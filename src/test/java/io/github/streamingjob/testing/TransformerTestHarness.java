package io.github.streamingjob.testing;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.JobConfig;
import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.job.SchemaCheck;
import io.github.streamingjob.source.ComputedColumns;
import io.github.streamingjob.source.KafkaSourceTable;
import io.github.streamingjob.transform.BaseTransformer;
import io.github.streamingjob.transform.TransformerRegistry;
import io.github.streamingjob.util.Sql;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs one topic's transformer, as configured in {@code config/}, over a few records and returns the
 * rows it produces with the topic's {@code sink.schema} applied. No Kafka, no catalog: the records are
 * a bounded source with the topic's schema, format and watermark, on a Flink MiniCluster shared by
 * every test in the JVM. The input ends with a final watermark, so every event-time window fires.
 *
 * <pre>{@code
 * List<Map<String, Object>> rows = TransformerTestHarness.forTopic("order-events")
 *     .ignoring("ingestion_time")
 *     .run("{\"order_id\":\"o1\",\"user_id\":1,\"amount\":10.5,\"status\":\"paid\",\"timestamp_ms\":0}");
 * assertThat(rows).containsExactly(row("order_id", "o1", "user_id", 1L, ...));
 * }</pre>
 *
 * <p>A change-data topic's records are change events; the rows returned are the table's final state,
 * with every update and delete applied:
 *
 * <pre>{@code
 * TransformerTestHarness.forTopic("customers").run(insert(ann), update(ann, annMoved), delete(bob));
 * }</pre>
 */
public final class TransformerTestHarness {
  private static MiniCluster cluster;

  private final TopicDef topic;
  private final JobConfig config;
  private final Set<String> ignored = new LinkedHashSet<>();

  private TransformerTestHarness(JobConfig config, TopicDef topic) {
    this.config = config;
    this.topic = topic;
  }

  /** The topic as configured in the project's {@code config/} directory. */
  public static TransformerTestHarness forTopic(String name) {
    return forTopic(Path.of("config"), name);
  }

  public static TransformerTestHarness forTopic(Path configDir, String name) {
    JobConfig config = ConfigLoader.load(configDir);
    TopicDef topic = config.topics().stream().filter(t -> t.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no topic '" + name + "' in " + configDir.resolve(
            ConfigLoader.TOPICS_FILE) + "; topics: " + config.topics().stream().map(TopicDef::name)
            .collect(Collectors.toList())));
    return new TransformerTestHarness(config, topic);
  }

  /** Leaves out columns whose values are not deterministic, such as {@code CURRENT_TIMESTAMP}. */
  public TransformerTestHarness ignoring(String... columns) {
    ignored.addAll(Arrays.asList(columns));
    return this;
  }

  /** A Debezium change event creating a row (op {@code c}), for a change-data topic's input. */
  public static String insert(Map<String, Object> after) {
    return change("c", null, after);
  }

  /** A Debezium change event updating a row (op {@code u}): its values before and after. */
  public static String update(Map<String, Object> before, Map<String, Object> after) {
    return change("u", before, after);
  }

  /** A Debezium change event deleting a row (op {@code d}). */
  public static String delete(Map<String, Object> before) {
    return change("d", before, null);
  }

  private static String change(String op, Map<String, Object> before, Map<String, Object> after) {
    org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper json =
        new org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper();
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("before", before);
    event.put("after", after);
    event.put("op", op);
    try {
      return json.writeValueAsString(event);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A row for assertions: {@code row("user_id", 1L, "bid_count", 2L)}, in column order. */
  public static Map<String, Object> row(Object... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("row(...) takes name, value pairs");
    }
    Map<String, Object> row = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      row.put((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    return row;
  }

  /** Runs the transformer over these records (in the topic's format, e.g. JSON) and returns its rows. */
  public List<Map<String, Object>> run(String... records) {
    return run(Arrays.asList(records));
  }

  public List<Map<String, Object>> run(List<String> records) {
    Path input = writeInput(records);
    try {
      StreamTableEnvironment tableEnv = StreamTableEnvironment.create(environment());
      tableEnv.getConfig().setLocalTimeZone(ZoneOffset.UTC);
      Map<String, String> options = new LinkedHashMap<>();
      options.put("connector", "filesystem");
      options.put("path", input.toUri().toString());
      options.putAll(KafkaSourceTable.formatOptions(topic));
      Problems problems = new Problems();
      TopicDef canonical = ComputedColumns.canonical(topic, tableEnv, Problems.At.file(ConfigLoader.TOPICS_FILE)
          .entry("topic", topic.name()), problems);
      if (canonical == null) {
        throw new AssertionError(String.join("\n", problems.messages()));
      }
      tableEnv.executeSql(KafkaSourceTable.table(KafkaSourceTable.tableName(topic), canonical, List.of(), options, false));

      BaseTransformer transformer = new TransformerRegistry(getClass().getClassLoader())
          .create(config.transformations().get(topic.transformation()), topic, problems);
      if (transformer == null) {
        throw new AssertionError(String.join("\n", problems.messages()));
      }
      String select = transformer.getTransformationSql(Sql.ident(KafkaSourceTable.tableName(topic)));
      Table query = tableEnv.sqlQuery(select);
      SchemaCheck.compare(topic.sink(), query.getResolvedSchema()).ifPresent(m -> {
        throw new AssertionError("topic '" + topic.name() + "': " + m);
      });
      return collect(tableEnv.sqlQuery(castToSinkSchema(select)));
    } finally {
      try {
        Files.deleteIfExists(input);
      } catch (IOException e) {
        // temp file; the OS cleans up
      }
    }
  }

  /** Applies sink.schema the way the INSERT into Iceberg does (e.g. TIMESTAMP_LTZ to TIMESTAMP in UTC). */
  private String castToSinkSchema(String select) {
    String columns = topic.sink().schema().stream()
        .filter(c -> !ignored.contains(c.name()))
        .map(c -> "CAST(" + Sql.ident(c.name()) + " AS " + c.type().orElseThrow().asSerializableString() + ") AS "
            + Sql.ident(c.name()))
        .collect(Collectors.joining(", "));
    return "SELECT " + columns + " FROM (" + select + ")";
  }

  /** Final rows: updates and retractions of non-windowed aggregations are applied, as a sink would. */
  private List<Map<String, Object>> collect(Table table) {
    List<String> names = topic.sink().schema().stream().map(ColumnDef::name).filter(n -> !ignored.contains(n))
        .collect(Collectors.toList());
    List<Map<String, Object>> rows = new ArrayList<>();
    try (CloseableIterator<Row> it = table.execute().collect()) {
      while (it.hasNext()) {
        Row r = it.next();
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
          row.put(names.get(i), r.getField(i));
        }
        if (r.getKind() == RowKind.INSERT || r.getKind() == RowKind.UPDATE_AFTER) {
          rows.add(row);
        } else {
          rows.remove(row);
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("running the transformer of topic '" + topic.name() + "' failed", e);
    }
    return rows;
  }

  private static Path writeInput(List<String> records) {
    try {
      Path file = Files.createTempFile("transformer-input-", ".txt");
      Files.writeString(file, String.join("\n", records) + "\n", StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One MiniCluster for the whole test JVM: started on first use, stopped at exit. */
  private static synchronized StreamExecutionEnvironment environment() {
    if (cluster == null) {
      try {
        Configuration conf = new Configuration();
        conf.setString("rest.bind-port", "0"); // a local run or another build may hold 8081
        MiniCluster c = new MiniCluster(new MiniClusterConfiguration.Builder()
            .setConfiguration(conf).setNumTaskManagers(1).setNumSlotsPerTaskManager(4).build());
        c.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            c.close();
          } catch (Exception e) {
            // JVM exit
          }
        }));
        cluster = c;
      } catch (Exception e) {
        throw new IllegalStateException("cannot start the Flink MiniCluster", e);
      }
    }
    return new TestStreamEnvironment(cluster, 1);
  }
}
