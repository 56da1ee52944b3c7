package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fat JAR's content and its {@code --validate} mode on a classpath of only the JAR plus Flink's own
 * (provided) artifacts: the configuration loads, every query plans against stand-in sinks, and the
 * classes the chosen catalog and Kafka authentication load by name are in the JAR. It creates no
 * catalog and runs no operator; {@link ClusterDeploymentITCase} runs the JAR for real.
 */
class ShadedJarITCase {
  static final Path JAR = Path.of(System.getProperty("shaded.jar", "target/missing.jar"));

  @TempDir Path dir;

  static final class Run {
    final int exit;
    final String out;

    Run(int exit, String out) {
      this.exit = exit;
      this.out = out;
    }
  }

  private Run validate(String propertiesJson, String... extraArgs) throws Exception {
    Path props = dir.resolve("props.json");
    Files.writeString(props, propertiesJson);
    String flinkClasspath = Files.readString(Path.of(System.getProperty("flink.provided.classpath"))).trim();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(System.getProperty("flink.jvm.opens").trim().split("\\s+")));
    cmd.addAll(List.of("-cp", JAR + File.pathSeparator + flinkClasspath, "io.github.streamingjob.job.StreamingJob",
        "--validate", "--properties", props.toString()));
    cmd.addAll(Arrays.asList(extraArgs));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  static final String KAFKA_IAM = "{\"PropertyGroupId\":\"KafkaSource\",\"PropertyMap\":{"
      + "\"bootstrap.servers\":\"b-1.example.kafka.eu-west-1.amazonaws.com:9098\",\"auth\":\"iam\"}}";

  @Test
  void validatesWithS3TablesAndMskIamOnFlinksClasspathOnly() throws Exception {
    Run run = validate("[" + KAFKA_IAM + ",{\"PropertyGroupId\":\"IcebergCatalog\",\"PropertyMap\":{"
        + "\"type\":\"s3tables\",\"warehouse\":\"arn:aws:s3tables:eu-west-1:123456789012:bucket/demo\"}}]");
    assertThat(run.out).contains("OK: 5 pipeline(s) valid (bid-events, user-activity, order-events, "
        + "bid-events-aggregated, customers)");
    assertThat(run.out).contains("'properties.sasl.mechanism' = 'AWS_MSK_IAM'");
    assertThat(run.exit).as(run.out).isZero();
  }

  @Test
  void validatesWithGlueAndRestCatalogs() throws Exception {
    for (String catalog : List.of(
        "{\"type\":\"glue\",\"warehouse\":\"s3://bucket/warehouse\"}",
        "{\"type\":\"rest\",\"uri\":\"https://s3tables.eu-west-1.amazonaws.com/iceberg\","
            + "\"warehouse\":\"arn:aws:s3tables:eu-west-1:123456789012:bucket/demo\","
            + "\"iceberg.rest.auth.type\":\"sigv4\",\"iceberg.rest.signing-name\":\"s3tables\"}")) {
      Run run = validate("[" + KAFKA_IAM + ",{\"PropertyGroupId\":\"IcebergCatalog\",\"PropertyMap\":" + catalog + "}]");
      assertThat(run.exit).as(run.out).isZero();
    }
  }

  @Test
  void brokenConfigExitsNonZeroNamingFileTopicAndKey() throws Exception {
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.writeString(config.resolve("topics.yaml"),
        Files.readString(Path.of("config/topics.yaml")).replaceFirst("type: \"BIGINT\"", "type: \"BIGNIT\""));
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"));
    Run run = validate("[" + KAFKA_IAM + ",{\"PropertyGroupId\":\"IcebergCatalog\",\"PropertyMap\":"
        + "{\"type\":\"hadoop\",\"warehouse\":\"file:///tmp/x\"}}]", "--config-dir", config.toString());
    assertThat(run.exit).isEqualTo(1);
    assertThat(run.out).contains("INVALID: 1 configuration problem:\n  - topics.yaml: topic 'bid-events': key "
        + "'source_schema[0].type': 'BIGNIT' is not a Flink SQL type: unknown type 'BIGNIT' (did you mean 'BIGINT'?)");
  }

  @Test
  void distributionZipHoldsJarConfigPropertiesAndReadme() throws IOException {
    Path zip = Path.of(JAR.toString().replaceAll("\\.jar$", "-dist.zip"));
    String base = JAR.getFileName().toString().replaceAll("\\.jar$", "");
    try (ZipFile z = new ZipFile(zip.toFile())) {
      List<String> names = z.stream().map(e -> e.getName()).collect(Collectors.toList());
      assertThat(names).contains(base + "/lib/" + JAR.getFileName(), base + "/config/topics.yaml",
          base + "/config/transformations.yaml", base + "/application_properties.json", base + "/README.md");
    }
  }

  /** The JAR's service file for that interface; empty when the JAR has none. */
  private static String services(ZipFile zip, String serviceInterface) throws IOException {
    java.util.zip.ZipEntry entry = zip.getEntry("META-INF/services/" + serviceInterface);
    return entry == null ? "" : new String(zip.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void jarHoldsConnectorsFormatsCatalogAndConfigButNoFlinkRuntimeOrLocalClasses() throws IOException {
    try (ZipFile zip = new ZipFile(JAR.toFile())) {
      String factories = services(zip, "org.apache.flink.table.factories.Factory");
      assertThat(factories).contains("io.github.streamingjob.source.DeadLetterFormatFactory",
          "io.github.streamingjob.source.ConfluentProtobufFormatFactory",
          "org.apache.flink.streaming.connectors.kafka.table.KafkaDynamicTableFactory",
          "org.apache.flink.formats.json.JsonFormatFactory", "org.apache.flink.formats.csv.CsvFormatFactory",
          "org.apache.flink.formats.avro.AvroFormatFactory", "org.apache.iceberg.flink.FlinkDynamicTableFactory");
      // Iceberg's catalog factory, for CREATE CATALOG: the Flink 1.20 runtime registers it for Flink's legacy
      // discovery (TableFactory), the 2.x runtimes for the current one (Factory), the only one Flink 2.x has.
      assertThat(services(zip, "org.apache.flink.table.factories.TableFactory") + factories)
          .contains("org.apache.iceberg.flink.FlinkCatalogFactory");
      List<String> names = zip.stream().map(e -> e.getName()).collect(Collectors.toList());
      assertThat(names).contains("config/topics.yaml", "config/transformations.yaml",
          "io/github/streamingjob/job/StreamingJob.class",
          "software/amazon/s3tables/iceberg/S3TablesCatalog.class",
          "software/amazon/msk/auth/iam/IAMLoginModule.class",
          "org/apache/hadoop/conf/Configuration.class",
          // protobuf-confluent's schema parser (Wire, in Kotlin) and Protobuf's own descriptors
          "io/apicurio/registry/utils/protobuf/schema/FileDescriptorUtils.class",
          "com/squareup/wire/schema/internal/parser/ProtoParser.class", "kotlin/Unit.class",
          "com/google/protobuf/DynamicMessage.class");
      assertThat(names).noneMatch(n -> n.startsWith("org/apache/flink/runtime/")
          || n.startsWith("org/apache/flink/api/common/")
          || n.startsWith("org/apache/flink/table/planner/")
          || n.startsWith("io/github/streamingjob/local/")
          || n.startsWith("kafka/server/")
          || n.startsWith("org/apache/logging/log4j/core/")
          || n.startsWith("org/slf4j/impl/"));
    }
  }
}
