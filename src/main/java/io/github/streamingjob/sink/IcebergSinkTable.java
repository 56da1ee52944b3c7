package io.github.streamingjob.sink;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.PartitionField;
import io.github.streamingjob.config.SinkDef;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.util.Sql;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.catalog.UniqueConstraint;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.flink.FlinkSchemaUtil;

/** The Iceberg table of one sink: its Flink and Iceberg schemas, partition spec and properties. */
public final class IcebergSinkTable {
  private IcebergSinkTable() {}

  /** The sink schema as Flink sees it; primary key columns are NOT NULL, as Flink requires. */
  public static ResolvedSchema flinkSchema(SinkDef sink) {
    List<Column> columns = new ArrayList<>();
    for (ColumnDef c : sink.schema()) {
      LogicalType type = c.type().orElseThrow();
      if (sink.primaryKey().contains(c.name())) {
        type = type.copy(false);
      }
      columns.add(Column.physical(c.name(), DataTypes.of(type)));
    }
    UniqueConstraint pk = sink.primaryKey().isEmpty()
        ? null
        : UniqueConstraint.primaryKey("pk_" + sink.tableName(), sink.primaryKey());
    return new ResolvedSchema(columns, List.of(), pk);
  }

  /** Iceberg schema, via Iceberg's own converter; the primary key becomes the identifier fields. */
  public static Schema icebergSchema(SinkDef sink) {
    return FlinkSchemaUtil.convert(flinkSchema(sink));
  }

  public static PartitionSpec partitionSpec(SinkDef sink, Schema schema) {
    PartitionSpec.Builder b = PartitionSpec.builderFor(schema);
    for (PartitionField p : sink.partitionBy()) {
      switch (p.transform()) {
        case IDENTITY:
          b.identity(p.column());
          break;
        case YEARS:
          b.year(p.column());
          break;
        case MONTHS:
          b.month(p.column());
          break;
        case DAYS:
          b.day(p.column());
          break;
        case HOURS:
          b.hour(p.column());
          break;
        case BUCKET:
          b.bucket(p.column(), p.argument());
          break;
        case TRUNCATE:
          b.truncate(p.column(), p.argument());
          break;
        default:
          throw new IllegalStateException("unhandled transform " + p.transform());
      }
    }
    return b.build();
  }

  /**
   * The topic's sink with the table properties the job derives: a table with a primary key is format v2;
   * fed by an append topic it is written as upserts (the latest row per key wins), fed by a change-data
   * topic its changes are applied as they come: deletes and updates' old rows delete by key, inserts and
   * updates' new rows insert (Iceberg's equality deletes either way). Then the YAML's own properties.
   */
  public static SinkDef resolved(TopicDef topic) {
    SinkDef sink = topic.sink();
    Map<String, String> p = new LinkedHashMap<>();
    if (!sink.primaryKey().isEmpty()) {
      p.put(TableProperties.FORMAT_VERSION, "2");
      p.put(TableProperties.UPSERT_ENABLED, Boolean.toString(!topic.changeData()));
    }
    p.putAll(sink.properties());
    return sink.withProperties(p);
  }

  /** A readable description of the table this job creates ({@link #resolved}), for {@code --validate} output. */
  public static String describe(String qualifiedName, SinkDef sink) {
    String columns = sink.schema().stream()
        .map(c -> "  " + Sql.ident(c.name()) + " " + c.type().orElseThrow().asSerializableString())
        .collect(Collectors.joining(",\n"));
    String pk = sink.primaryKey().isEmpty() ? "" : ",\n  PRIMARY KEY (" + Sql.identList(sink.primaryKey()) + ") NOT ENFORCED";
    String partitioned = sink.partitionBy().isEmpty() ? ""
        : "\n-- Iceberg partition spec: " + sink.partitionBy().stream().map(Object::toString).collect(Collectors.joining(", "));
    Map<String, String> props = sink.properties();
    String with = props.isEmpty() ? "" : " WITH (\n" + Sql.options(props, true) + "\n)";
    return "CREATE TABLE IF NOT EXISTS " + qualifiedName + " (\n" + columns + pk + "\n)" + with + partitioned;
  }
}
