package io.github.streamingjob.source;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.Problems.At;
import io.github.streamingjob.config.TopicDef;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.internal.TableEnvironmentInternal;
import org.apache.flink.table.expressions.ResolvedExpression;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;

/**
 * Computed columns ({@code expression:} in source_schema) reach the source DDL only as Flink writes them
 * back: each is parsed by Flink's own SQL expression parser over the topic's physical columns, must be
 * exactly one expression (no statement separator, no text after it, no unclosed comment or parenthesis),
 * and is replaced by its serialized form, which carries no comment and quotes every identifier.
 */
public final class ComputedColumns {
  private ComputedColumns() {}

  /** The topic with every expression parsed and re-serialized; problems recorded, null if any. */
  public static TopicDef canonical(TopicDef topic, TableEnvironment tableEnv, At at, Problems problems) {
    List<ColumnDef> schema = topic.sourceSchema();
    List<String> names = new ArrayList<>();
    List<LogicalType> types = new ArrayList<>();
    schema.stream().filter(c -> !c.isComputed()).forEach(c -> {
      names.add(c.name());
      types.add(c.type().orElseThrow());
    });
    RowType physical = RowType.of(types.toArray(new LogicalType[0]), names.toArray(new String[0]));
    List<ColumnDef> canonical = new ArrayList<>();
    int before = problems.messages().size();
    for (int i = 0; i < schema.size(); i++) {
      ColumnDef c = schema.get(i);
      if (!c.isComputed()) {
        canonical.add(c);
        continue;
      }
      String text = c.expression().orElseThrow();
      try {
        ResolvedExpression parsed =
            ((TableEnvironmentInternal) tableEnv).getParser().parseSqlExpression(text, physical, null);
        canonical.add(ColumnDef.computed(c.name(), parsed.asSerializableString()));
      } catch (RuntimeException e) {
        problems.add(at.key("source_schema[" + i + "].expression"), "column '" + c.name() + "': '" + text
            + "' is not one SQL expression over the physical columns " + names + ": " + reason(e));
      }
    }
    return problems.messages().size() == before ? topic.toBuilder().sourceSchema(canonical).build() : null;
  }

  private static String reason(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.toString() : root.getMessage();
    return message.lines().findFirst().orElse("").trim();
  }
}
