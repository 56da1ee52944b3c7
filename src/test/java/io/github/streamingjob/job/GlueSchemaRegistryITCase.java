package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.schemaregistry.deserializers.GlueSchemaRegistryKafkaDeserializer;
import com.amazonaws.services.schemaregistry.serializers.GlueSchemaRegistryKafkaSerializer;
import io.github.streamingjob.config.ConfigException;
import io.github.streamingjob.local.EmbeddedKafka;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.KillableMiniCluster;
import io.github.streamingjob.testing.TopicsYaml;
import io.github.streamingjob.testing.standin.GlueSchemaRegistryServer;
import io.github.streamingjob.testing.standin.NetworkOutage;
import io.github.streamingjob.testing.standin.SigV4CheckingProxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
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
 * A topic written by AWS's own Glue Schema Registry serializer ({@code schema-registry-serde}) against a stand-in of
 * Glue's API ({@link GlueSchemaRegistryServer}, behind a proxy that checks every request's SigV4 signature for the
 * region and service): the job takes the columns from Glue, reads a producer's newer, zlib-compressed version without
 * a restart, sends a record of a version Glue does not hold and one not in Glue's format to dead letters with their
 * bytes as they came, and loses nothing while Glue is out of reach.
 */
class GlueSchemaRegistryITCase {
  static final String NAMESPACE = "glue";
  static final String TOPIC = "payments";
  static final String REGISTRY = "streaming-schemas";
  static final String REGION = "eu-west-1";
  static final String ACCESS_KEY = "AKIAGLUETESTKEY00001";
  static final String SECRET_KEY = "glue-stand-in-secret-key";
  static final Duration TIMEOUT = SchemaRegistryITCase.TIMEOUT;

  /** SchemaRegistryITCase's versions, in AWS's serializer's (unrelocated) Avro. */
  static final Schema PAYMENT_V1 = new Schema.Parser().parse(SchemaRegistryITCase.V1_TEXT);
  static final Schema PAYMENT_V2 = new Schema.Parser().parse(SchemaRegistryITCase.V2_TEXT);
  static final Schema PAYMENT_V3 = new Schema.Parser().parse(SchemaRegistryITCase.V3_TEXT);

  static GlueSchemaRegistryServer glue;
  static SigV4CheckingProxy signed;
  static EmbeddedKafka kafka;
  static KillableMiniCluster flink;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    // The runtime's credentials, as the SDK's default chain finds them (on Managed Flink: the application's role).
    System.setProperty("aws.accessKeyId", ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", SECRET_KEY);
    glue = GlueSchemaRegistryServer.start(REGISTRY);
    signed = SigV4CheckingProxy.start(glue.endpoint(), ACCESS_KEY, SECRET_KEY, REGION, "glue");
    kafka = EmbeddedKafka.start();
    flink = KillableMiniCluster.start();
    kafka.createTopic(TOPIC, 2);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {flink, kafka, signed, glue}) {
      if (c != null) {
        c.close();
      }
    }
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }

  @Test
  void aTopicWrittenByGluesSerializerLandsWithGluesColumnsThroughSchemaChangesCompressionAndAnOutage()
      throws Exception {
    send(serialize(PAYMENT_V1, 0, 20, r -> { }, false));
    byte[] v2First;

    try (NetworkOutage link = NetworkOutage.inFrontOf(port(signed.uri()));
        HadoopCatalog catalog = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(),
            dir.resolve("warehouse").toUri().toString())) {
      String endpoint = "http://127.0.0.1:" + link.port();
      // The registry as users name it once for all topics: in the property group SchemaRegistry.
      CliArgs cli = cli("job", glueTopic(Map.of()), Map.of("registry.name", REGISTRY, "region", REGION,
          "endpoint", endpoint));

      String validation = SchemaRegistryITCase.stdout(() -> assertThat(StreamingJob.validate(cli,
          new TestStreamEnvironment(flink.cluster(), new Configuration(), 1, List.of(), List.of()))).isTrue());
      assertThat(validation).contains("-- columns from the Glue schema registry '" + REGISTRY + "' in " + REGION
          + " at " + endpoint + ", schema '" + TOPIC + "' version 1 (schema version id ")
          .contains("): payment_id STRING NOT NULL, user_id BIGINT NOT NULL, amount DOUBLE NOT NULL, "
              + "currency STRING NOT NULL, timestamp_ms BIGINT NOT NULL\n");

      JobClient job = StreamingJob.run(cli, new TestStreamEnvironment(flink.cluster(), new Configuration(), 2,
          List.of(), List.of()), JobSources.fromArgs(cli));
      try {
        TableIdentifier payments = TableIdentifier.of(NAMESPACE, "payments");
        TableIdentifier deadLetters = TableIdentifier.of(NAMESPACE, "dead_letters");
        IcebergTables.awaitRows(catalog, payments, r -> r.size() >= 20, TIMEOUT);

        // The producer moves to version 2 mid-stream, compressing with zlib: read without a restart.
        List<byte[]> v2 = serialize(PAYMENT_V2, 20, 20, r -> r.put("coupon", "SAVE10"), true);
        assertThat(v2.get(0)[1]).as("compression byte: zlib").isEqualTo((byte) 5);
        v2First = v2.get(0);
        assertThat(awsDeserializer().deserialize(TOPIC, v2.get(5))).as("AWS's deserializer reads it too")
            .extracting(r -> ((GenericRecord) r).get("payment_id").toString()).isEqualTo("p25");
        send(v2);
        // A record of a schema version Glue does not hold (its producer used another registry), and one not in
        // Glue's format at all: dead letters, their bytes as they came.
        byte[] unknown = serialize(PAYMENT_V1, 40, 1, r -> { }, false).get(0);
        UUID missing = UUID.randomUUID();
        ByteBuffer.wrap(unknown, 2, 16).putLong(missing.getMostSignificantBits())
            .putLong(missing.getLeastSignificantBits());
        byte[] notGlue = "{\"payment_id\":\"p-json\"}".getBytes(StandardCharsets.UTF_8);
        send(List.of(unknown, notGlue));
        List<Record> rows = IcebergTables.awaitRows(catalog, payments, r -> r.size() >= 40, TIMEOUT);
        assertThat(rows).hasSize(40);
        assertThat(rows.stream().filter(r -> "p25".equals(r.getField("payment_id"))).findFirst().orElseThrow()
            .getField("currency")).isEqualTo("EUR");
        List<Record> dead = IcebergTables.awaitRows(catalog, deadLetters, r -> r.size() >= 2, TIMEOUT);
        assertThat(dead).hasSize(2);
        Record ofUnknown = dead.stream().filter(r -> ((String) r.getField("error")).contains(missing.toString()))
            .findFirst().orElseThrow(() -> new AssertionError("no dead letter names " + missing + ": " + dead));
        assertThat(SchemaRegistryITCase.bytes((ByteBuffer) ofUnknown.getField("payload"))).isEqualTo(unknown);
        assertThat((String) ofUnknown.getField("error")).contains("does not hold schema version " + missing);
        Record ofNotGlue = dead.stream().filter(r -> r != ofUnknown).findFirst().orElseThrow();
        assertThat(SchemaRegistryITCase.bytes((ByteBuffer) ofNotGlue.getField("payload"))).isEqualTo(notGlue);
        assertThat((String) ofNotGlue.getField("error")).contains("not in Glue Schema Registry's wire format");

        // Glue out of reach while records of a version the job has not seen arrive: the job fails over (those
        // records are not the dead letters' business) and reads them once Glue answers again.
        link.cut();
        send(serialize(PAYMENT_V3, 41, 20, r -> r.put("channel", "app"), true));
        SchemaRegistryITCase.await("the job failing over for want of Glue", () -> SchemaRegistryITCase
            .failure(flink, job).filter(f -> f.contains("the schema registry did not give the writer schema")).isPresent());
        link.restore();
        rows = IcebergTables.awaitRows(catalog, payments, r -> r.size() >= 60, TIMEOUT);
        assertThat(rows).extracting(r -> r.getField("payment_id")).doesNotHaveDuplicates().hasSize(60)
            .containsAll(List.of("p0", "p19", "p20", "p39", "p41", "p60"));
        assertThat(IcebergTables.rows(catalog, deadLetters)).hasSize(2);
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
      } finally {
        job.cancel().get();
      }
    }
    // The job asked for the latest version at start, and for each writer's version once per reader and attempt
    // (the version's id from the record's header), not once per record.
    ByteBuffer header = ByteBuffer.wrap(v2First, 2, 16);
    String v2Id = new UUID(header.getLong(), header.getLong()).toString();
    assertThat(glue.calls()).contains("GetSchemaVersion latest");
    assertThat(glue.calls().stream().filter(("GetSchemaVersion " + v2Id)::equals).count()).isBetween(1L, 6L);
    // Every call, the serializer's and the job's, signed with the runtime's credentials for the region and Glue.
    assertThat(signed.seen()).isNotEmpty();
    assertThat(SigV4CheckingProxy.verdicts(signed.seen())).containsOnlyKeys("signed");
  }

  @Test
  void glueDownAtStartAMissingSchemaAndAMissingRegistryNameAreClearErrors() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort(); // nothing listens there once closed
    }
    String down = "http://127.0.0.1:" + closed;
    CliArgs unreachable = cli("down", glueTopic(Map.of("registry.name", REGISTRY, "region", REGION,
        "endpoint", down)), Map.of());
    assertThatThrownBy(() -> StreamingJob.run(unreachable, new TestStreamEnvironment(flink.cluster(),
        new Configuration(), 1, List.of(), List.of()), JobSources.fromArgs(unreachable)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("topics.yaml: topic 'payments': key 'format_options.region': could not read the latest "
            + "version of schema '" + TOPIC + "' from the Glue schema registry '" + REGISTRY + "' in " + REGION
            + " at " + down + ": ")
        .hasMessageContaining("Unable to execute HTTP request");

    CliArgs missingSchema = cli("missing", glueTopic(Map.of("registry.name", REGISTRY, "region", REGION,
        "endpoint", signed.uri(), "schema.name", "payment")), Map.of());
    assertThatThrownBy(() -> StreamingJob.run(missingSchema, new TestStreamEnvironment(flink.cluster(),
        new Configuration(), 1, List.of(), List.of()), JobSources.fromArgs(missingSchema)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("key 'format_options.schema.name': schema 'payment' is not in the Glue schema registry '"
            + REGISTRY + "' in " + REGION + " at " + signed.uri() + " (Schema is not found.)");

    CliArgs noRegistry = cli("unnamed", glueTopic(Map.of("region", REGION)), Map.of());
    assertThatThrownBy(() -> StreamingJob.run(noRegistry, new TestStreamEnvironment(flink.cluster(),
        new Configuration(), 1, List.of(), List.of()), JobSources.fromArgs(noRegistry)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("key 'format_options.registry.name': missing: format 'avro-glue' reads each record's "
            + "schema from a schema registry");
  }

  /** The shipped payments entry, enabled, in format avro-glue with these format options. */
  static TopicsYaml glueTopic(Map<String, String> formatOptions) {
    return TopicsYaml.shipped().set(TOPIC, "enabled", true).set(TOPIC, "format", "avro-glue")
        .set(TOPIC, "format_options", formatOptions);
  }

  static CliArgs cli(String name, TopicsYaml topics, Map<String, String> registry) {
    return SchemaRegistryITCase.cli(dir, name, kafka.bootstrapServers(), NAMESPACE, topics, registry);
  }

  /** AWS's serializer and deserializer as a producer and a consumer configure them, talking to Glue signed. */
  static Map<String, Object> awsConfig(boolean compress) {
    Map<String, Object> c = new HashMap<>();
    c.put("endpoint", signed.uri());
    c.put("region", REGION);
    c.put("registry.name", REGISTRY);
    c.put("dataFormat", "AVRO");
    c.put("avroRecordType", "GENERIC_RECORD");
    c.put("schemaAutoRegistrationEnabled", "true");
    c.put("compression", compress ? "ZLIB" : "NONE");
    return c;
  }

  /** Records p{first}..., serialized as a producer does: the schema registered in Glue (or found), then framed. */
  static List<byte[]> serialize(Schema schema, int first, int count,
      java.util.function.Consumer<GenericRecord> extra, boolean compress) {
    List<byte[]> out = new ArrayList<>();
    try (GlueSchemaRegistryKafkaSerializer serializer = new GlueSchemaRegistryKafkaSerializer()) {
      serializer.configure(awsConfig(compress), false);
      for (int i = first; i < first + count; i++) {
        GenericRecord r = new GenericData.Record(schema);
        SchemaRegistryITCase.payment(i, r::put);
        extra.accept(r);
        out.add(serializer.serialize(TOPIC, r));
      }
    }
    return out;
  }

  static GlueSchemaRegistryKafkaDeserializer awsDeserializer() {
    GlueSchemaRegistryKafkaDeserializer d = new GlueSchemaRegistryKafkaDeserializer();
    d.configure(awsConfig(false), false);
    return d;
  }

  static void send(List<byte[]> values) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = kafka.newProducer()) {
      for (int i = 0; i < values.size(); i++) {
        producer.send(new ProducerRecord<>(TOPIC, i % 2, null, values.get(i))).get();
      }
    }
  }

  static int port(String uri) {
    return java.net.URI.create(uri).getPort();
  }
}
