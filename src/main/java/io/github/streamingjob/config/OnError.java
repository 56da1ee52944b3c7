package io.github.streamingjob.config;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** What the job does with a Kafka record its format cannot decode ({@code on_error} in topics.yaml). */
public enum OnError {
  /** Keep it: topic, partition, offset, payload and error go to an Iceberg dead-letter table. */
  DEAD_LETTER("dead-letter"),
  /** Drop it, counted (metric {@code malformedRecords}) and logged. */
  SKIP("skip"),
  /** Fail the job (Flink restarts it and fails again on the same record until it is dealt with). */
  FAIL("fail");

  public static final String DEFAULT_DEAD_LETTER_TABLE = "dead_letters";

  private final String value;

  OnError(String value) {
    this.value = value;
  }

  public String value() {
    return value;
  }

  public static Optional<OnError> of(String value) {
    return Arrays.stream(values()).filter(v -> v.value.equals(value)).findFirst();
  }

  public static List<String> names() {
    return Arrays.stream(values()).map(OnError::value).collect(Collectors.toList());
  }
}
