package io.github.streamingjob.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.types.Types;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.util.FutureCallback;

/**
 * Benchmark (d): Apache Iceberg's Kafka Connect sink, in a standalone Connect worker in this JVM,
 * copying a pre-loaded topic into an Iceberg table. Prints {@code RESULT seconds rows files snapshots}
 * once the table holds every event; the parent benchmark parses that line.
 *
 * <p>Args: bootstrapServers topic events warehouseDir tasks commitIntervalMs
 */
public final class KafkaConnectIcebergRun {
  private KafkaConnectIcebergRun() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    long events = Long.parseLong(args[2]);
    Path warehouse = Path.of(args[3]);
    int tasks = Integer.parseInt(args[4]);
    String commitMs = args[5];
    // A fresh connector name per run: its consumer group would otherwise resume at the previous run's end.
    String name = "iceberg-sink-" + System.nanoTime();
    String control = "iceberg-control-" + System.nanoTime();
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.iceberg", "info");

    Properties adminProps = new Properties();
    adminProps.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(adminProps)) {
      admin.createTopics(List.of(new NewTopic(control, 1, (short) 1))).all().get();
    }
    // The same columns as the Kafka records: Connect has no TO_TIMESTAMP_LTZ without a transform.
    Schema schema = new Schema(
        Types.NestedField.optional(1, "user_id", Types.LongType.get()),
        Types.NestedField.optional(2, "bid_id", Types.StringType.get()),
        Types.NestedField.optional(3, "amount", Types.DoubleType.get()),
        Types.NestedField.optional(4, "timestamp_ms", Types.LongType.get()));
    HadoopCatalog catalog = new HadoopCatalog(new Configuration(), warehouse.toUri().toString());
    TableIdentifier id = TableIdentifier.of(Namespace.of("bench"), "bid_events_kc");
    catalog.createTable(id, schema);

    Map<String, String> worker = new HashMap<>();
    worker.put("bootstrap.servers", bootstrap);
    worker.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    worker.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
    worker.put("value.converter.schemas.enable", "false");
    worker.put("offset.storage.file.filename", Files.createTempFile("connect-offsets", ".dat").toString());
    worker.put("listeners", "http://localhost:0");
    worker.put("plugin.discovery", "only_scan");
    worker.put("consumer.auto.offset.reset", "earliest");
    worker.put("consumer.max.poll.records", "2000");
    // Measured: with Connect's default 60 s the run took 60.7 s whatever the CPU did (33,000 events/s);
    // with 1 s, 16-20 s. One task beat two (87,000 events/s) on 2 cores.
    worker.put("offset.flush.interval.ms", "1000");
    Connect<StandaloneHerder> connect = new ConnectStandalone().startConnect(worker);

    Map<String, String> sink = new HashMap<>();
    sink.put("name", name);
    sink.put("connector.class", "org.apache.iceberg.connect.IcebergSinkConnector");
    sink.put("tasks.max", Integer.toString(tasks));
    sink.put("topics", topic);
    sink.put("iceberg.tables", "bench.bid_events_kc");
    sink.put("iceberg.catalog.catalog-impl", "org.apache.iceberg.hadoop.HadoopCatalog");
    sink.put("iceberg.catalog.warehouse", warehouse.toUri().toString());
    sink.put("iceberg.control.topic", control);
    // In standalone mode the sink does not see the worker's properties: its own Kafka clients need these.
    sink.put("iceberg.kafka.bootstrap.servers", bootstrap);
    sink.put("iceberg.kafka.auto.offset.reset", "earliest");
    sink.put("iceberg.control.commit.interval-ms", commitMs);
    // A task that has not joined yet would hold a commit for the default 30 s.
    sink.put("iceberg.control.commit.timeout-ms", "5000");
    long start = System.nanoTime();
    FutureCallback<org.apache.kafka.connect.runtime.Herder.Created<org.apache.kafka.connect.runtime.rest.entities.ConnectorInfo>> created =
        new FutureCallback<>();
    connect.herder().putConnectorConfig(name, sink, false, created);
    created.get();

    long rows = 0;
    Table table = catalog.loadTable(id);
    while (rows < events) {
      Thread.sleep(100);
      table.refresh();
      Snapshot s = table.currentSnapshot();
      rows = s == null ? 0 : Long.parseLong(s.summary().get("total-records"));
      if ((System.nanoTime() - start) / 1e9 > 180) {
        System.out.println("FAILED only " + rows + " of " + events + " rows after 180 s");
        System.exit(1);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    int snapshots = 0;
    for (Snapshot ignored : table.snapshots()) {
      snapshots++;
    }
    System.out.printf(Locale.ROOT, "RESULT %.3f %d %s %d%n", seconds, rows,
        table.currentSnapshot().summary().get("total-data-files"), snapshots);
    System.out.flush();
    connect.stop();
    System.exit(0);
  }
}
