package io.github.streamingjob.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Event-time column, how late its events may arrive, and after how long without records a Kafka partition stops
 * holding the watermark back; makes windows over that column possible.
 */
public final class WatermarkDef {
  /**
   * A partition that sends nothing for this long no longer holds the watermark back (Flink's source idleness). Half
   * the shipped window: a quiet partition delays a window's row by at most half a window more, and a partition
   * that sends a record every half minute or more often is never taken for idle. docs/configuration.md, "Event time".
   */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

  private final String column;
  private final Duration delay;
  private final Duration idleTimeout;

  /** With the default idle timeout. */
  public WatermarkDef(String column, Duration delay) {
    this(column, delay, Optional.of(DEFAULT_IDLE_TIMEOUT));
  }

  /** {@code idleTimeout} empty: idleness off, a quiet partition holds every window of the topic open. */
  public WatermarkDef(String column, Duration delay, Optional<Duration> idleTimeout) {
    this.column = Objects.requireNonNull(column);
    this.delay = Objects.requireNonNull(delay);
    this.idleTimeout = idleTimeout.orElse(null);
  }

  public String column() {
    return column;
  }

  public Duration delay() {
    return delay;
  }

  /** After how long without records a partition is idle; empty when idleness is off. */
  public Optional<Duration> idleTimeout() {
    return Optional.ofNullable(idleTimeout);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WatermarkDef
        && column.equals(((WatermarkDef) o).column)
        && delay.equals(((WatermarkDef) o).delay)
        && Objects.equals(idleTimeout, ((WatermarkDef) o).idleTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(column, delay, idleTimeout);
  }

  @Override
  public String toString() {
    return "WATERMARK FOR " + column + " - " + delay + ", idle after " + (idleTimeout == null ? "never" : idleTimeout);
  }
}
