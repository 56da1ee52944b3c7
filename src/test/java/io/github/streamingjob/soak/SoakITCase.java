package io.github.streamingjob.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The soak, short and seeded, in every build: one fault of each of the five kinds over two minutes of steady traffic,
 * then every table compared whole with what was sent. The long run is the same code (docs/operations.md).
 */
class SoakITCase {
  @Test
  void everyTableIsExactAfterOneFaultOfEachKind() throws Exception {
    Soak.Result result = Soak.run(Soak.Options.parse("--minutes", "2", "--faults", "5", "--seed", "20261201"));

    assertThat(result.failure).as("the soak ran to its end (every fault recovered, every send acknowledged)").isNull();
    assertThat(result.faults.stream().map(f -> f.kind).collect(Collectors.toSet()))
        .isEqualTo(EnumSet.allOf(Soak.Kind.class));
    assertThat(result.lost).as("rows lost").isZero();
    assertThat(result.duplicated).as("rows beyond what was sent").isZero();
  }
}
