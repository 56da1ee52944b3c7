package io.github.streamingjob.job;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.SinkDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.utils.LogicalTypeCasts;

/**
 * Compares a transformer's output with {@code sink.schema}: same names in the same order, and each
 * type equal or one Flink casts implicitly on insert (e.g. INT to BIGINT, TIMESTAMP_LTZ to TIMESTAMP).
 * Nullability is ignored: Iceberg sink columns are optional.
 */
public final class SchemaCheck {
  private SchemaCheck() {}

  /** The first difference, with expected and actual columns; empty when they match. */
  public static Optional<String> compare(SinkDef sink, ResolvedSchema actual) {
    List<ColumnDef> expected = sink.schema();
    List<Column> got = actual.getColumns();
    List<String> diffs = new ArrayList<>();
    if (expected.size() != got.size()) {
      diffs.add("expected " + expected.size() + " columns, the query returns " + got.size());
    }
    for (int i = 0; i < Math.min(expected.size(), got.size()); i++) {
      ColumnDef e = expected.get(i);
      Column a = got.get(i);
      LogicalType et = e.type().orElseThrow();
      LogicalType at = a.getDataType().getLogicalType();
      if (!e.name().equals(a.getName())) {
        diffs.add("column " + (i + 1) + ": expected '" + e.name() + "', the query returns '" + a.getName() + "'");
      } else if (!compatible(at, et)) {
        diffs.add("column " + (i + 1) + " '" + e.name() + "': expected " + et.asSummaryString()
            + ", the query returns " + at.asSummaryString());
      }
    }
    if (diffs.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of("the query does not match sink.schema: " + String.join("; ", diffs)
        + "\n      expected: " + expected.stream().map(c -> c.name() + " " + c.type().get().asSummaryString())
            .collect(Collectors.joining(", "))
        + "\n      actual:   " + got.stream().map(c -> c.getName() + " " + c.getDataType().getLogicalType()
            .asSummaryString()).collect(Collectors.joining(", ")));
  }

  static boolean compatible(LogicalType actual, LogicalType expected) {
    LogicalType a = actual.copy(true);
    LogicalType e = expected.copy(true);
    return a.equals(e) || LogicalTypeCasts.supportsImplicitCast(a, e);
  }
}
