package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.utils.EncodingUtils;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One case per kind of secret a deployment holds: each is set, the job is validated (which prints its
 * DDL and logs its properties) and refused once (which prints an error), and the secret must appear
 * nowhere in stdout, stderr or the logs, in no form: as written, JAAS-escaped, SQL-quoted, JSON-escaped
 * or URL-encoded.
 */
class SecretKindsTest {
  static final String KAFKA = "{\"PropertyGroupId\":\"KafkaSource\",\"PropertyMap\":{\"bootstrap.servers\":\"b:9092\"}}";
  static final String HADOOP = "\"type\":\"hadoop\",\"warehouse\":\"file:///tmp/never-created\"";

  @TempDir Path dir;

  static String group(String id, String map) {
    return "{\"PropertyGroupId\":\"" + id + "\",\"PropertyMap\":{" + map + "}}";
  }

  static Stream<Arguments> kinds() {
    String scram = "p\"a\\ss'w0rd-5";
    return Stream.of(
        Arguments.of("REST OAuth2 client credential", "cred-secret-1",
            List.of(KAFKA, group("IcebergCatalog", HADOOP + ",\"iceberg.credential\":\"client-id:cred-secret-1\"")), ""),
        Arguments.of("REST Authorization header", "tok-secret-2",
            List.of(KAFKA, group("IcebergCatalog", HADOOP + ",\"iceberg.header.Authorization\":\"Bearer tok-secret-2\"")), ""),
        Arguments.of("AWS secret access keys", "aws-secret-3",
            List.of(KAFKA, group("IcebergCatalog", HADOOP + ",\"iceberg.s3.secret-access-key\":\"aws-secret-3\","
                + "\"iceberg.rest.session-token\":\"aws-secret-3\"")), ""),
        Arguments.of("password inside the catalog uri", "uri-secret-4",
            List.of(KAFKA, group("IcebergCatalog", "\"type\":\"rest\",\"warehouse\":\"w\","
                + "\"uri\":\"https://user:uri-secret-4@catalog.example.com/api\"")), ""),
        Arguments.of("SCRAM password with quotes and backslashes", scram,
            List.of(group("KafkaSource", "\"bootstrap.servers\":\"b:9096\",\"auth\":\"scram\",\"sasl.username\":\"bob\","
                + "\"sasl.password\":\"" + EncodingUtils.escapeJava(scram) + "\""), group("IcebergCatalog", HADOOP)), ""),
        Arguments.of("Kafka SSL key password in topics.yaml", "ssl-secret-6",
            List.of(KAFKA, group("IcebergCatalog", HADOOP)), "    kafka_properties:\n      ssl.key.password: \"ssl-secret-6\"\n"),
        Arguments.of("Kafka SSL key material in topics.yaml", "key-material-7",
            List.of(KAFKA, group("IcebergCatalog", HADOOP)),
            "    kafka_properties:\n      ssl.keystore.key: \"-----BEGIN PRIVATE KEY----- key-material-7\"\n"),
        Arguments.of("schema registry credentials", "reg-secret-8",
            List.of(KAFKA, group("IcebergCatalog", HADOOP), group("SchemaRegistry", "\"url\":\"https://registry:8081\","
                + "\"basic-auth.user-info\":\"reader:reg-secret-8\",\"bearer-auth.token\":\"reg-secret-8\"")), ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kinds")
  void aSecretIsInNoOutputInAnyForm(String kind, String secret, List<String> groups, String topicExtra)
      throws IOException {
    String shipped = Files.readString(Path.of("config/topics.yaml"));
    String good = shipped.replaceFirst("    format: \"json\"\n", "    format: \"json\"\n" + topicExtra);
    String broken = good.replaceFirst("format: \"json\"", "format: \"json\"\n    format_options:\n      bogus: \"x\"");
    String output = validate(good, groups, true) + validate(broken, groups, false);
    assertThat(output).as("the output was produced").contains("Runtime properties:");
    for (String form : forms(secret)) {
      assertThat(output).as(kind + ": form " + form).doesNotContain(form);
    }
  }

  static List<String> forms(String s) {
    return List.of(s, s.replace("\\", "\\\\").replace("\"", "\\\""), EncodingUtils.escapeSingleQuotes(s),
        EncodingUtils.escapeJava(s), URLEncoder.encode(s, StandardCharsets.UTF_8),
        EncodingUtils.escapeSingleQuotes(s.replace("\\", "\\\\").replace("\"", "\\\"")));
  }

  /** Runs --validate and returns what it printed and logged; asserts whether it passed. */
  private String validate(String topicsYaml, List<String> groups, boolean valid) throws IOException {
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.writeString(config.resolve("topics.yaml"), topicsYaml);
    Files.copy(Path.of("config/transformations.yaml"), config.resolve("transformations.yaml"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Path props = Files.writeString(dir.resolve("props.json"), "[" + String.join(",", groups) + "]");
    CliArgs cli = CliArgs.parse("--validate", "--config-dir", config.toString(), "--properties", props.toString());

    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    Configuration logConfig = ctx.getConfiguration();
    StringWriter logs = new StringWriter();
    WriterAppender appender = WriterAppender.createAppender(PatternLayout.createDefaultLayout(), null, logs,
        "capture", false, true);
    appender.start();
    Level rootLevel = logConfig.getRootLogger().getLevel();
    logConfig.getRootLogger().addAppender(appender, Level.ALL, null);
    logConfig.getRootLogger().setLevel(Level.DEBUG);
    ctx.updateLoggers();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    try {
      PrintStream capture = new PrintStream(out, true, StandardCharsets.UTF_8);
      System.setOut(capture);
      System.setErr(capture);
      assertThat(StreamingJob.validate(cli, StreamExecutionEnvironment.getExecutionEnvironment())).as(out.toString())
          .isEqualTo(valid);
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
      logConfig.getRootLogger().removeAppender("capture");
      logConfig.getRootLogger().setLevel(rootLevel);
      ctx.updateLoggers();
    }
    return out.toString(StandardCharsets.UTF_8) + "\n" + logs;
  }
}
