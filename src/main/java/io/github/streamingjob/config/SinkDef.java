package io.github.streamingjob.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The Iceberg table a topic writes to: name, schema, partitioning, upsert key, table properties, maintenance. */
public final class SinkDef {
  private final String tableName;
  private final List<ColumnDef> schema;
  private final List<PartitionField> partitionBy;
  private final List<String> primaryKey;
  private final Map<String, String> properties;
  private final MaintenanceDef maintenance;

  public SinkDef(
      String tableName,
      List<ColumnDef> schema,
      List<PartitionField> partitionBy,
      List<String> primaryKey,
      Map<String, String> properties) {
    this(tableName, schema, partitionBy, primaryKey, properties, MaintenanceDef.DEFAULT);
  }

  public SinkDef(
      String tableName,
      List<ColumnDef> schema,
      List<PartitionField> partitionBy,
      List<String> primaryKey,
      Map<String, String> properties,
      MaintenanceDef maintenance) {
    this.maintenance = Objects.requireNonNull(maintenance);
    this.tableName = Objects.requireNonNull(tableName);
    this.schema = List.copyOf(schema);
    this.partitionBy = List.copyOf(partitionBy);
    this.primaryKey = List.copyOf(primaryKey);
    this.properties = Map.copyOf(properties);
  }

  /** The same table with these table properties. */
  public SinkDef withProperties(Map<String, String> p) {
    return new SinkDef(tableName, schema, partitionBy, primaryKey, p, maintenance);
  }

  public String tableName() {
    return tableName;
  }

  public List<ColumnDef> schema() {
    return schema;
  }

  public List<PartitionField> partitionBy() {
    return partitionBy;
  }

  /** Empty for an append-only table; otherwise the table is an Iceberg v2 upsert table on these columns. */
  public List<String> primaryKey() {
    return primaryKey;
  }

  public Map<String, String> properties() {
    return properties;
  }

  public MaintenanceDef maintenance() {
    return maintenance;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SinkDef)) {
      return false;
    }
    SinkDef s = (SinkDef) o;
    return tableName.equals(s.tableName)
        && schema.equals(s.schema)
        && partitionBy.equals(s.partitionBy)
        && primaryKey.equals(s.primaryKey)
        && properties.equals(s.properties)
        && maintenance.equals(s.maintenance);
  }

  @Override
  public int hashCode() {
    return Objects.hash(tableName, schema, partitionBy, primaryKey, properties, maintenance);
  }

  @Override
  public String toString() {
    return "SinkDef{table=" + tableName + ", schema=" + schema + ", partitionBy=" + partitionBy
        + ", primaryKey=" + primaryKey + ", properties=" + properties + ", maintenance=" + maintenance + "}";
  }
}
