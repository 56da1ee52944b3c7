package io.github.streamingjob.config;

import java.time.Duration;
import java.util.Objects;

/** Event-time column and how late its events may arrive; makes windows over that column possible. */
public final class WatermarkDef {
  private final String column;
  private final Duration delay;

  public WatermarkDef(String column, Duration delay) {
    this.column = Objects.requireNonNull(column);
    this.delay = Objects.requireNonNull(delay);
  }

  public String column() {
    return column;
  }

  public Duration delay() {
    return delay;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WatermarkDef
        && column.equals(((WatermarkDef) o).column)
        && delay.equals(((WatermarkDef) o).delay);
  }

  @Override
  public int hashCode() {
    return Objects.hash(column, delay);
  }

  @Override
  public String toString() {
    return "WATERMARK FOR " + column + " - " + delay;
  }
}
