package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.streamingjob.config.ConfigException;
import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.PropertiesFile;
import io.github.streamingjob.testing.TopicsYaml;
import io.github.streamingjob.testing.standin.ChildJvm;
import io.github.streamingjob.testing.standin.NetworkOutage;
import io.github.streamingjob.testing.standin.ProtobufSerializerMain;
import io.github.streamingjob.testing.standin.SchemaRegistryServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.avro.shaded.org.apache.avro.Schema;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericData;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.registry.confluent.ConfluentRegistryAvroSerializationSchema;
import org.apache.flink.runtime.executiongraph.ErrorInfo;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A topic in Confluent's wire format, written by a registry serializer (Flink's, with Confluent's client) against a
 * real registry server (Apicurio's Confluent-compatible API, in a process of its own): the job takes the columns from
 * the registry, reads a producer's newer schema without a restart, sends a record of an unknown schema id to dead
 * letters with its bytes as they came, and loses nothing while the registry is out of reach. The same for a topic in
 * Protobuf ({@code protobuf-confluent}), written by Apicurio's Protobuf serializer in Confluent's framing.
 */
class SchemaRegistryITCase {
  static final String NAMESPACE = "registry";
  static final String TOPIC = "payments";
  static final String SUBJECT = TOPIC + "-value";
  /** For a loaded 2-core machine: the registry alone took over 60 s to start beside a test run. */
  static final Duration TIMEOUT = Duration.ofMinutes(4);
  static final String PASSWORD = "s3cret-Reg1stry-pass";
  static final Path STAND_INS = Path.of(System.getProperty("stand-ins.dir", "target/stand-ins")).toAbsolutePath();

  static final String V1 = "{\"type\":\"record\",\"name\":\"Payment\",\"namespace\":\"shop\",\"fields\":["
      + "{\"name\":\"payment_id\",\"type\":\"string\"},{\"name\":\"user_id\",\"type\":\"long\"},"
      + "{\"name\":\"amount\",\"type\":\"double\"},{\"name\":\"currency\",\"type\":\"string\"},"
      + "{\"name\":\"timestamp_ms\",\"type\":\"long\"}";
  /** The versions as text, for either Avro (this test's relocated one, AWS's serializer's plain one). */
  static final String V1_TEXT = V1 + "]}";
  /** A producer's next version: an optional field added (backward compatible). */
  static final String V2_TEXT = V1 + ",{\"name\":\"coupon\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
  static final String V3_TEXT = V1 + ",{\"name\":\"coupon\",\"type\":[\"null\",\"string\"],\"default\":null}"
      + ",{\"name\":\"channel\",\"type\":\"string\",\"default\":\"web\"}]}";
  static final Schema PAYMENT_V1 = new Schema.Parser().parse(V1_TEXT);
  static final Schema PAYMENT_V2 = new Schema.Parser().parse(V2_TEXT);
  static final Schema PAYMENT_V3 = new Schema.Parser().parse(V3_TEXT);

  static SchemaRegistryServer registry;
  static EmbeddedKafka kafka;
  static KillableMiniCluster flink;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    registry = SchemaRegistryServer.start(SchemaRegistryServer.dir(), dir.resolve("schema-registry.out"));
    kafka = EmbeddedKafka.start();
    flink = KillableMiniCluster.start();
    kafka.createTopic(TOPIC, 2);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {flink, kafka, registry}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  void aTopicWrittenByARegistrySerializerLandsWithTheRegistrysColumnsThroughSchemaChangesAndAnOutage()
      throws Exception {
    List<byte[]> v1 = serialize(PAYMENT_V1, 0, 20, r -> { });
    send(v1);

    try (NetworkOutage link = NetworkOutage.inFrontOf(registry.port());
        HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(),
            dir.resolve("warehouse").toUri().toString())) {
      String url = "http://127.0.0.1:" + link.port() + "/apis/ccompat/v7";
      // The registry's credentials as users keep them, in the property group (the registry here checks none).
      CliArgs cli = cli("job", TopicsYaml.shipped().set(TOPIC, "enabled", true)
          .set(TOPIC, "format_options", Map.of("url", url)), Map.of("basic-auth.credentials-source", "USER_INFO",
              "basic-auth.user-info", "payments-reader:" + PASSWORD));

      // --validate names the registry's schema and prints the columns it took from it.
      String validation = stdout(() -> assertThat(StreamingJob.validate(cli, new TestStreamEnvironment(
          flink.cluster(), new Configuration(), 1, List.of(), List.of()))).isTrue());
      assertThat(validation).doesNotContain(PASSWORD).contains("-- columns from the schema registry at " + url + ", subject '" + SUBJECT
          + "' version 1 (schema id ").contains("): payment_id STRING NOT NULL, user_id BIGINT NOT NULL, "
          + "amount DOUBLE NOT NULL, currency STRING NOT NULL, timestamp_ms BIGINT NOT NULL\n");

      JobClient job = StreamingJob.run(cli, new TestStreamEnvironment(flink.cluster(), new Configuration(), 2,
          List.of(), List.of()), JobSources.fromArgs(cli));
      try {
        TableIdentifier payments = TableIdentifier.of(NAMESPACE, "payments");
        IcebergTables.awaitRows(catalog, payments, r -> r.size() >= 20, TIMEOUT);

        // The producer moves to version 2 mid-stream: read without a restart, through Avro's resolution.
        send(serialize(PAYMENT_V2, 20, 20, r -> r.put("coupon", "SAVE10")));
        // A record of a schema id this registry never gave (its producer used another registry): dead letters.
        byte[] unknown = serialize(PAYMENT_V1, 40, 1, r -> { }).get(0);
        ByteBuffer.wrap(unknown).putInt(1, 999_999);
        send(List.of(unknown));
        List<Record> rows = IcebergTables.awaitRows(catalog, payments, r -> r.size() >= 40, TIMEOUT);
        assertThat(rows).hasSize(40);
        assertThat(rows.stream().filter(r -> "p25".equals(r.getField("payment_id"))).findFirst().orElseThrow()
            .getField("currency")).isEqualTo("EUR");
        Record dead = IcebergTables.awaitRows(catalog, TableIdentifier.of(NAMESPACE, "dead_letters"),
            r -> !r.isEmpty(), TIMEOUT).get(0);
        assertThat(bytes((ByteBuffer) dead.getField("payload"))).isEqualTo(unknown);
        assertThat((String) dead.getField("error")).contains("999999");
        assertThat(dead.getField("pipeline")).isEqualTo(TOPIC);

        // The registry out of reach while records of a schema the job has not seen arrive: the job fails over
        // (those records are not the dead letters' business) and reads them once the registry is back.
        link.cut();
        send(serialize(PAYMENT_V3, 41, 20, r -> r.put("channel", "app")));
        await("the job failing over for want of the registry", () -> failure(flink, job)
            .filter(f -> f.contains("the schema registry did not give the writer schema")).isPresent());
        link.restore();
        rows = IcebergTables.awaitRows(catalog, payments, r -> r.size() >= 60, TIMEOUT);
        assertThat(rows).extracting(r -> r.getField("payment_id")).doesNotHaveDuplicates().hasSize(60)
            .containsAll(List.of("p0", "p19", "p20", "p39", "p41", "p60"));
        assertThat(IcebergTables.rows(catalog, TableIdentifier.of(NAMESPACE, "dead_letters"))).hasSize(1);
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
      } finally {
        job.cancel().get();
      }
    }
  }

  @Test
  void aRegistryDownAtStartAndAColumnTheRegistryLacksAreClearErrors() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort(); // nothing listens there once closed
    }
    String down = "http://127.0.0.1:" + closed + "/apis/ccompat/v7";
    // The address from the property group SchemaRegistry, the entry giving none.
    CliArgs unreachable = cli("down", TopicsYaml.shipped().set(TOPIC, "enabled", true)
        .set(TOPIC, "format_options", Map.of()), Map.of("url", down));
    assertThatThrownBy(() -> StreamingJob.run(unreachable, new TestStreamEnvironment(flink.cluster(),
        new Configuration(), 1, List.of(), List.of()), JobSources.fromArgs(unreachable)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("topics.yaml: topic 'payments': key 'format_options.url': could not read the schema of "
            + "subject '" + SUBJECT + "' from the schema registry at " + down)
        .hasMessageContaining("ConnectException");

    serialize(PAYMENT_V1, 1000, 1, r -> { }); // registers the subject, whichever test runs first (sends nothing)
    TopicsYaml typo = TopicsYaml.shipped().set(TOPIC, "enabled", true)
        .set(TOPIC, "format_options", Map.of("url", registry.url()))
        .set(TOPIC, "source_schema", List.of(Map.of("name", "payment_id", "type", "STRING"),
            Map.of("name", "amout", "type", "DOUBLE"), Map.of("name", "user_id", "type", "INT")));
    CliArgs checked = cli("typo", typo, Map.of());
    assertThatThrownBy(() -> StreamingJob.run(checked, new TestStreamEnvironment(flink.cluster(),
        new Configuration(), 1, List.of(), List.of()), JobSources.fromArgs(checked)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("key 'source_schema[1]': 'amout' is not a field of the schema registry at "
            + registry.url() + ", subject '" + SUBJECT + "'")
        .hasMessageContaining("(did you mean 'amount'?)")
        .hasMessageContaining("key 'source_schema[2]': 'user_id' is INT but the field is BIGINT NOT NULL");
  }

  /** Payments in Protobuf; version 2 adds an optional field and puts a message before Payment (message index 1). */
  static final String PB_V1 = "syntax = \"proto3\";\npackage shop;\n\nmessage Payment {\n  string payment_id = 1;\n"
      + "  int64 user_id = 2;\n  double amount = 3;\n  string currency = 4;\n  int64 timestamp_ms = 5;\n}\n";
  static final String PB_V2 = "syntax = \"proto3\";\npackage shop;\n\nmessage Coupon {\n  string code = 1;\n}\n"
      + "message Payment {\n  string payment_id = 1;\n  int64 user_id = 2;\n  double amount = 3;\n"
      + "  string currency = 4;\n  int64 timestamp_ms = 5;\n  optional string coupon = 6;\n}\n";
  static final String PB_V3 = PB_V2.replace("optional string coupon = 6;", "optional string coupon = 6;\n"
      + "  string channel = 7;");
  static final String PB_TOPIC = "payments-pb";

  @Test
  void aProtobufTopicWrittenByARegistrySerializerLandsWithTheRegistrysColumnsThroughASchemaChangeAndAnOutage()
      throws Exception {
    kafka.createTopic(PB_TOPIC, 2);
    List<byte[]> v1 = protobuf(PB_V1, 0, 20);
    int id1 = ByteBuffer.wrap(v1.get(0)).getInt(1);
    // This serializer writes message indexes [0] as count 1, index 0; Confluent's writes one zero byte (unit-tested).
    assertThat(Arrays.copyOfRange(v1.get(0), 5, 7)).containsExactly(2, 0);
    send(PB_TOPIC, v1);

    try (NetworkOutage link = NetworkOutage.inFrontOf(registry.port());
        HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(),
            dir.resolve("warehouse").toUri().toString())) {
      String url = "http://127.0.0.1:" + link.port() + "/apis/ccompat/v7";
      CliArgs cli = cli(dir, "protobuf", kafka.bootstrapServers(), "registry_pb", TopicsYaml.shipped()
          .set(TOPIC, "enabled", true).set(TOPIC, "topic", PB_TOPIC).set(TOPIC, "format", "protobuf-confluent")
          .set(TOPIC, "format_options", Map.of("url", url)), Map.of("basic-auth.credentials-source", "USER_INFO",
              "basic-auth.user-info", "payments-reader:" + PASSWORD));

      boolean[] valid = new boolean[1];
      String validation = stdout(() -> valid[0] = StreamingJob.validate(cli, new TestStreamEnvironment(
          flink.cluster(), new Configuration(), 1, List.of(), List.of())));
      assertThat(valid[0]).as(validation).isTrue();
      assertThat(validation).doesNotContain(PASSWORD).contains("-- columns from the schema registry at " + url + ", subject '" + PB_TOPIC
          + "-value' version 1 (schema id " + id1 + "): payment_id STRING, user_id BIGINT, amount DOUBLE, "
          + "currency STRING, timestamp_ms BIGINT\n");

      JobClient job = StreamingJob.run(cli, new TestStreamEnvironment(flink.cluster(), new Configuration(), 2,
          List.of(), List.of()), JobSources.fromArgs(cli));
      try {
        TableIdentifier payments = TableIdentifier.of("registry_pb", "payments");
        IcebergTables.awaitRows(catalog, payments, r -> r.size() >= 20, TIMEOUT);

        // Version 2 mid-stream, its Payment the file's second message: the serializer writes message indexes [1].
        List<byte[]> v2 = protobuf(PB_V2, 20, 20);
        assertThat(ByteBuffer.wrap(v2.get(0)).getInt(1)).isNotEqualTo(id1);
        assertThat(Arrays.copyOfRange(v2.get(0), 5, 7)).containsExactly(2, 2);
        send(PB_TOPIC, v2);
        byte[] unknown = v1.get(0).clone();
        ByteBuffer.wrap(unknown).putInt(1, 999_999);
        send(PB_TOPIC, List.of(unknown));
        List<Record> rows = IcebergTables.awaitRows(catalog, payments, r -> r.size() >= 40, TIMEOUT);
        assertThat(rows).hasSize(40);
        Record p25 = rows.stream().filter(r -> "p25".equals(r.getField("payment_id"))).findFirst().orElseThrow();
        assertThat(p25.getField("currency")).isEqualTo("EUR");
        assertThat(p25.getField("amount")).isEqualTo(25.5);
        assertThat(p25.getField("user_id")).isEqualTo(4L);
        Record dead = IcebergTables.awaitRows(catalog, TableIdentifier.of("registry_pb", "dead_letters"),
            r -> !r.isEmpty(), TIMEOUT).get(0);
        assertThat(bytes((ByteBuffer) dead.getField("payload"))).isEqualTo(unknown);
        assertThat((String) dead.getField("error")).contains("does not know schema id 999999");

        // The registry out of reach while records of a schema id the job has not seen arrive: it fails over and
        // reads them once the registry is back; nothing is dead-lettered for it.
        link.cut();
        List<byte[]> v3 = protobuf(PB_V3, 41, 20);
        int id3 = ByteBuffer.wrap(v3.get(0)).getInt(1);
        send(PB_TOPIC, v3);
        await("the job failing over for want of the registry", () -> failure(flink, job)
            .filter(f -> f.contains("the schema registry did not give schema id " + id3)).isPresent());
        link.restore();
        rows = IcebergTables.awaitRows(catalog, payments, r -> r.size() >= 60, TIMEOUT);
        assertThat(rows).extracting(r -> r.getField("payment_id")).doesNotHaveDuplicates().hasSize(60)
            .containsAll(List.of("p0", "p19", "p20", "p39", "p41", "p60"));
        assertThat(IcebergTables.rows(catalog, TableIdentifier.of("registry_pb", "dead_letters"))).hasSize(1);
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
      } finally {
        job.cancel().get();
      }
    }
  }

  /**
   * Payments p{first}... of this Protobuf schema's Payment, written by a registry serializer in Confluent's framing
   * ({@link ProtobufSerializerMain}, a process of its own), which registers the schema under the subject itself.
   */
  static List<byte[]> protobuf(String proto, int first, int count) throws Exception {
    Path work = Files.createTempDirectory(dir, "protobuf");
    Path schema = Files.writeString(work.resolve("payment.proto"), proto);
    Path out = work.resolve("records.b64");
    String classpath = Files.readString(STAND_INS.resolve("protobuf-serializer.classpath")).trim()
        + java.io.File.pathSeparator + Path.of(ProtobufSerializerMain.class.getProtectionDomain().getCodeSource()
            .getLocation().toURI());
    try (ChildJvm serializer = ChildJvm.start("protobuf-serializer", List.of("-Xmx256m"), classpath,
        ProtobufSerializerMain.class.getName(), List.of("http://127.0.0.1:" + registry.port() + "/apis/registry/v2",
            PB_TOPIC, schema.toString(), "Payment", Integer.toString(first), Integer.toString(count), out.toString()),
        Map.of(), work.resolve("serializer.out"))) {
      assertThat(serializer.exitCode(TIMEOUT)).as(() -> serializer.tail(40)).isZero();
    }
    List<byte[]> records = new ArrayList<>();
    for (String line : Files.readAllLines(out)) {
      records.add(Base64.getDecoder().decode(line));
    }
    assertThat(records).hasSize(count);
    return records;
  }

  /** The job's arguments: {@code topics} as the config (payments only), {@code registry} the group SchemaRegistry. */
  static CliArgs cli(String name, TopicsYaml topics, Map<String, String> registry) {
    return cli(dir, name, kafka.bootstrapServers(), NAMESPACE, topics, registry);
  }

  /** The same, for a test of its own: files under {@code dir/name}, the warehouse {@code dir/warehouse}. */
  static CliArgs cli(Path dir, String name, String bootstrapServers, String namespace, TopicsYaml topics,
      Map<String, String> registry) {
    Path config = topics.writeTo(dir.resolve(name).resolve("config"));
    PropertiesFile properties = PropertiesFile.local(bootstrapServers, dir.resolve("warehouse"), namespace)
        .set("Job", "parallelism", "2").set("Job", "checkpoint.interval", "1 s").set("Job", "topics", TOPIC);
    registry.forEach((k, v) -> properties.set("SchemaRegistry", k, v));
    Path props = properties.writeTo(dir.resolve(name).resolve("props.json"));
    return CliArgs.parse("--config-dir", config.toString(), "--properties", props.toString());
  }

  /** The fields of payment p{i}, for a record of either Avro. */
  static void payment(int i, java.util.function.BiConsumer<String, Object> put) {
    ProtobufSerializerMain.Payments.payment(i, put);
  }

  /** Records p{first}..., serialized as a producer would: the schema registered under the subject, then framed. */
  static List<byte[]> serialize(Schema schema, int first, int count, java.util.function.Consumer<GenericRecord> extra)
      throws Exception {
    ConfluentRegistryAvroSerializationSchema<GenericRecord> serializer =
        ConfluentRegistryAvroSerializationSchema.forGeneric(SUBJECT, schema, registry.url());
    serializer.open(null);
    List<byte[]> out = new ArrayList<>();
    for (int i = first; i < first + count; i++) {
      GenericRecord r = new GenericData.Record(schema);
      payment(i, r::put);
      extra.accept(r);
      out.add(serializer.serialize(r));
    }
    return out;
  }

  static void send(List<byte[]> values) throws Exception {
    send(TOPIC, values);
  }

  static void send(String topic, List<byte[]> values) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = kafka.newProducer()) {
      for (int i = 0; i < values.size(); i++) {
        producer.send(new ProducerRecord<>(topic, i % 2, null, values.get(i))).get();
      }
    }
  }

  /** The job's last failure, as Flink keeps it across restarts. */
  static Optional<String> failure(KillableMiniCluster flink, JobClient job) {
    try {
      return Optional.ofNullable(flink.cluster().getExecutionGraph(job.getJobID()).get().getFailureInfo())
          .map(ErrorInfo::getExceptionAsString);
    } catch (Exception e) {
      return Optional.empty(); // between attempts
    }
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + TIMEOUT + " waiting for " + what);
      }
      Thread.sleep(200);
    }
  }

  static String stdout(Runnable r) {
    PrintStream before = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setOut(before);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  static byte[] bytes(ByteBuffer b) {
    ByteBuffer copy = b.duplicate();
    byte[] out = new byte[copy.remaining()];
    copy.get(out);
    return out;
  }
}
