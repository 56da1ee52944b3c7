package io.github.streamingjob.config;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Iceberg partition transform from {@code sink.partition_by}: {@code col}, {@code days(col)},
 * {@code hours(col)}, {@code months(col)}, {@code years(col)}, {@code bucket(N, col)} or
 * {@code truncate(N, col)}.
 */
public final class PartitionField {
  /** The Iceberg transforms this job can build. */
  public enum Transform {
    IDENTITY, YEARS, MONTHS, DAYS, HOURS, BUCKET, TRUNCATE
  }

  private static final Pattern UNARY = Pattern.compile("(\\w+)\\s*\\(\\s*(\\w+)\\s*\\)");
  private static final Pattern WITH_ARG = Pattern.compile("(\\w+)\\s*\\(\\s*(\\d+)\\s*,\\s*(\\w+)\\s*\\)");
  private static final Pattern COLUMN = Pattern.compile("\\w+");

  private final Transform transform;
  private final String column;
  private final int argument;

  public PartitionField(Transform transform, String column, int argument) {
    this.transform = Objects.requireNonNull(transform);
    this.column = Objects.requireNonNull(column);
    this.argument = argument;
  }

  /** Parses one entry; throws IllegalArgumentException with the accepted forms on anything else. */
  public static PartitionField parse(String text) {
    String s = text.trim();
    if (COLUMN.matcher(s).matches()) {
      return new PartitionField(Transform.IDENTITY, s, 0);
    }
    Matcher m = WITH_ARG.matcher(s);
    if (m.matches()) {
      Transform t = transformOf(m.group(1), text);
      if (t != Transform.BUCKET && t != Transform.TRUNCATE) {
        throw invalid(text);
      }
      int n = Integer.parseInt(m.group(2));
      if (n <= 0) {
        throw new IllegalArgumentException("'" + text + "': the width must be positive");
      }
      return new PartitionField(t, m.group(3), n);
    }
    m = UNARY.matcher(s);
    if (m.matches()) {
      Transform t = transformOf(m.group(1), text);
      if (t == Transform.BUCKET || t == Transform.TRUNCATE || t == Transform.IDENTITY) {
        throw invalid(text);
      }
      return new PartitionField(t, m.group(2), 0);
    }
    throw invalid(text);
  }

  private static Transform transformOf(String name, String text) {
    try {
      return Transform.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw invalid(text);
    }
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException(
        "'" + text + "' is not a partition transform (expected one of: col, years(col), months(col), "
            + "days(col), hours(col), bucket(N, col), truncate(N, col))");
  }

  public Transform transform() {
    return transform;
  }

  public String column() {
    return column;
  }

  /** Bucket count or truncate width; 0 for the other transforms. */
  public int argument() {
    return argument;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PartitionField)) {
      return false;
    }
    PartitionField p = (PartitionField) o;
    return transform == p.transform && column.equals(p.column) && argument == p.argument;
  }

  @Override
  public int hashCode() {
    return Objects.hash(transform, column, argument);
  }

  @Override
  public String toString() {
    switch (transform) {
      case IDENTITY:
        return column;
      case BUCKET:
      case TRUNCATE:
        return transform.name().toLowerCase(Locale.ROOT) + "(" + argument + ", " + column + ")";
      default:
        return transform.name().toLowerCase(Locale.ROOT) + "(" + column + ")";
    }
  }
}
