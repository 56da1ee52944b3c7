package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.testing.PropertiesFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MigrateSavepoint} finds a savepoint's state by the ids the version before gave its operators. Those ids,
 * read off that version's job graph for the shipped config (src/test/resources/previous-version), are what this
 * version computes for it; the end-to-end migration is in {@code EvolutionITCase}.
 */
class MigrateSavepointTest {
  @TempDir Path dir;

  @Test
  void computesTheIdsThePreviousVersionGaveTheShippedConfig() throws IOException {
    Path props = PropertiesFile.local("localhost:9092", dir.resolve("warehouse"), "ns").set("Job", "parallelism", "2")
        .writeTo(dir.resolve("props.json"));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    // Planned as MigrateSavepoint plans it: as the previous version did, without late-record gates.
    OperatorIdsTest.translated(CliArgs.parse("--config-dir", "config", "--properties", props.toString()), env, false);
    List<String> computed = MigrateSavepoint.previousVersionIds(env).values().stream().map(OperatorID::toString)
        .sorted().collect(Collectors.toList());
    List<String> recorded = Files.readAllLines(Path.of("src/test/resources/previous-version/operator-ids.txt")).stream()
        .filter(l -> !l.startsWith("#")).map(l -> l.substring(0, l.indexOf(' '))).sorted().collect(Collectors.toList());
    assertThat(recorded).hasSize(30);
    assertThat(computed).isEqualTo(recorded);
  }

  @Test
  void refusesToRunWithoutBothSavepoints() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> MigrateSavepoint.migrate("--savepoint", "x"))
        .isInstanceOfSatisfying(io.github.streamingjob.config.ConfigException.class,
            e -> assertThat(e.problems()).containsExactly(MigrateSavepoint.USAGE));
  }
}
