package io.github.streamingjob.config;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Where a Kafka source starts reading, as the Flink Kafka connector's {@code scan.startup.mode}. */
public enum ScanMode {
  EARLIEST_OFFSET("earliest-offset"),
  LATEST_OFFSET("latest-offset"),
  GROUP_OFFSETS("group-offsets"),
  TIMESTAMP("timestamp");

  private final String value;

  ScanMode(String value) {
    this.value = value;
  }

  /** The value in YAML and in the connector option. */
  public String value() {
    return value;
  }

  public static Optional<ScanMode> of(String value) {
    return Arrays.stream(values()).filter(m -> m.value.equals(value)).findFirst();
  }

  public static List<String> names() {
    return Arrays.stream(values()).map(ScanMode::value).collect(Collectors.toList());
  }
}
