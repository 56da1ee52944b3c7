package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.streamingjob.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every directory under {@code src/test/resources/broken-configs} is a config that must be refused
 * before anything is created or submitted: {@code --validate} fails (non-zero exit) and {@code run}
 * throws, each with the lines of its {@code expected.txt}, which name the file, the topic and the key.
 */
class BrokenConfigTest {
  static final Path CASES = Path.of("src/test/resources/broken-configs");

  @TempDir Path dir;

  static Stream<String> cases() throws IOException {
    try (Stream<Path> dirs = Files.list(CASES)) {
      return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted()
          .collect(Collectors.toList()).stream();
    }
  }

  private CliArgs cli(String name, boolean validate) throws IOException {
    Path caseDir = CASES.resolve(name);
    Path catalogFile = caseDir.resolve("catalog.json");
    String catalog = Files.exists(catalogFile) ? Files.readString(catalogFile).trim()
        : "{\"type\":\"hadoop\",\"warehouse\":\"" + dir.resolve("warehouse").toUri() + "\"}";
    Path jobFile = caseDir.resolve("job.json");
    String job = Files.exists(jobFile) ? ",{\"PropertyGroupId\":\"Job\",\"PropertyMap\":"
        + Files.readString(jobFile).trim() + "}" : "";
    Path props = dir.resolve("props.json");
    Files.writeString(props, "[{\"PropertyGroupId\":\"KafkaSource\",\"PropertyMap\":{\"bootstrap.servers\":"
        + "\"localhost:9\"}},{\"PropertyGroupId\":\"IcebergCatalog\",\"PropertyMap\":" + catalog + "}" + job + "]");
    List<String> args = new java.util.ArrayList<>(List.of("--config-dir", caseDir.toString(), "--properties",
        props.toString()));
    if (validate) {
      args.add(0, "--validate");
    }
    return CliArgs.parse(args.toArray(new String[0]));
  }

  private static List<String> expected(String name) throws IOException {
    return Files.readAllLines(CASES.resolve(name).resolve("expected.txt")).stream().filter(l -> !l.isBlank())
        .collect(Collectors.toList());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void validateRefusesItNamingFileTopicAndKey(String name) throws IOException {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream original = System.err;
    boolean valid;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      valid = StreamingJob.validate(cli(name, true), StreamExecutionEnvironment.getExecutionEnvironment());
    } finally {
      System.setErr(original);
    }
    String printed = err.toString(StandardCharsets.UTF_8);
    assertThat(valid).as(printed).isFalse();
    assertThat(printed).startsWith("INVALID: ");
    for (String line : expected(name)) {
      assertThat(printed).contains(line);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void runRefusesItBeforeCreatingAnything(String name) throws IOException {
    CliArgs cli = cli(name, false);
    assertThatThrownBy(() -> StreamingJob.run(cli, StreamExecutionEnvironment.getExecutionEnvironment(),
        JobSources.fromArgs(cli)))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> expected(name).forEach(line -> assertThat(e.getMessage()).contains(line)));
    assertThat(dir.resolve("warehouse")).doesNotExist();
  }
}
