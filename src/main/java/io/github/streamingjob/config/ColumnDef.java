package io.github.streamingjob.config;

import java.util.Objects;
import java.util.Optional;
import org.apache.flink.table.types.logical.LogicalType;

/** One column of a source or sink schema: a physical column with a type, or a computed one. */
public final class ColumnDef {
  private final String name;
  private final LogicalType type;
  private final String expression;

  private ColumnDef(String name, LogicalType type, String expression) {
    this.name = Objects.requireNonNull(name);
    this.type = type;
    this.expression = expression;
  }

  public static ColumnDef physical(String name, LogicalType type) {
    return new ColumnDef(name, Objects.requireNonNull(type), null);
  }

  /** A source column computed by a Flink SQL expression over the physical columns. */
  public static ColumnDef computed(String name, String expression) {
    return new ColumnDef(name, null, Objects.requireNonNull(expression));
  }

  public String name() {
    return name;
  }

  /** The declared type; empty for a computed column, whose type Flink derives. */
  public Optional<LogicalType> type() {
    return Optional.ofNullable(type);
  }

  public Optional<String> expression() {
    return Optional.ofNullable(expression);
  }

  public boolean isComputed() {
    return expression != null;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ColumnDef)) {
      return false;
    }
    ColumnDef c = (ColumnDef) o;
    return name.equals(c.name) && Objects.equals(type, c.type) && Objects.equals(expression, c.expression);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, expression);
  }

  @Override
  public String toString() {
    return name + (isComputed() ? " AS " + expression : " " + type.asSummaryString());
  }
}
