package io.github.streamingjob.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.ConfigException;
import io.github.streamingjob.config.PartitionField;
import io.github.streamingjob.config.SinkDef;
import io.github.streamingjob.config.TopicDef;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.types.Types;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.DoubleType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.TimestampType;
import org.apache.flink.table.types.logical.VarCharType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sink tables in a real Iceberg Hadoop catalog on a temp directory. */
class SinkTablesTest {
  @TempDir Path warehouse;
  HadoopCatalog catalog;

  @BeforeEach
  void catalog() {
    catalog = new HadoopCatalog(new Configuration(), warehouse.toUri().toString());
  }

  static SinkDef sink(List<ColumnDef> columns, List<PartitionField> partitions, List<String> pk) {
    return new SinkDef("t", columns, partitions, pk, Map.of("write.parquet.compression-codec", "zstd"));
  }

  static final List<ColumnDef> COLUMNS = List.of(
      ColumnDef.physical("id", new IntType()),
      ColumnDef.physical("name", new VarCharType(VarCharType.MAX_LENGTH)),
      ColumnDef.physical("ts", new TimestampType(3)));

  @Test
  void createsTableWithPartitionTransformsAndProperties() {
    SinkTables.ensure(catalog, "ns", List.of(sink(COLUMNS,
        List.of(PartitionField.parse("days(ts)"), PartitionField.parse("bucket(8, id)")), List.of())));
    Table t = catalog.loadTable(TableIdentifier.of("ns", "t"));
    assertThat(t.schema().asStruct()).isEqualTo(Types.StructType.of(
        Types.NestedField.optional(1, "id", Types.IntegerType.get()),
        Types.NestedField.optional(2, "name", Types.StringType.get()),
        Types.NestedField.optional(3, "ts", Types.TimestampType.withoutZone())));
    assertThat(t.spec().toString()).contains("ts_day: day(3)").contains("id_bucket: bucket[8](1)");
    assertThat(t.properties()).containsEntry("write.parquet.compression-codec", "zstd");
  }

  static TopicDef topic(SinkDef sink, String format) {
    return TopicDef.builder("t").kafkaGroupId("g").format(format)
        .sourceSchema(List.of(ColumnDef.physical("id", new IntType()))).sink(sink).transformation("x").build();
  }

  @Test
  void primaryKeyMakesAnUpsertV2Table() {
    SinkTables.ensure(catalog, "ns", List.of(IcebergSinkTable.resolved(topic(sink(COLUMNS, List.of(), List.of("id")),
        "json"))));
    Table t = catalog.loadTable(TableIdentifier.of("ns", "t"));
    assertThat(t.schema().identifierFieldNames()).containsExactly("id");
    assertThat(t.schema().findField("id").isRequired()).isTrue();
    assertThat(t.properties()).containsEntry("write.upsert.enabled", "true")
        .containsEntry("write.parquet.compression-codec", "zstd");
    assertThat(((org.apache.iceberg.BaseTable) t).operations().current().formatVersion()).isEqualTo(2);
  }

  @Test
  void aChangeDataTopicsTableAppliesChangesAsTheyComeNotAsUpserts() {
    SinkDef resolved = IcebergSinkTable.resolved(topic(sink(COLUMNS, List.of(), List.of("id")), "debezium-json"));
    assertThat(resolved.properties()).containsEntry("format-version", "2").containsEntry("write.upsert.enabled", "false");
    assertThat(IcebergSinkTable.resolved(topic(sink(COLUMNS, List.of(), List.of()), "json")).properties())
        .doesNotContainKeys("format-version", "write.upsert.enabled");
  }

  @Test
  void addsNewColumnsAndWidensTypes() {
    SinkTables.ensure(catalog, "ns", List.of(sink(COLUMNS, List.of(), List.of())));
    List<ColumnDef> evolved = List.of(
        ColumnDef.physical("id", new BigIntType()),
        ColumnDef.physical("name", new VarCharType(VarCharType.MAX_LENGTH)),
        ColumnDef.physical("ts", new TimestampType(3)),
        ColumnDef.physical("score", new DoubleType()));
    SinkTables.ensure(catalog, "ns", List.of(sink(evolved, List.of(), List.of())));
    Table t = catalog.loadTable(TableIdentifier.of("ns", "t"));
    assertThat(t.schema().findField("id").type()).isEqualTo(Types.LongType.get());
    assertThat(t.schema().findField("score").type()).isEqualTo(Types.DoubleType.get());
  }

  @Test
  void incompatibleChangeNamesTheColumnAndTouchesNothing() {
    SinkTables.ensure(catalog, "ns", List.of(sink(COLUMNS, List.of(), List.of())));
    List<ColumnDef> broken = List.of(
        ColumnDef.physical("id", new VarCharType(VarCharType.MAX_LENGTH)),
        ColumnDef.physical("name", new VarCharType(VarCharType.MAX_LENGTH)),
        ColumnDef.physical("ts", new TimestampType(3)));
    SinkDef other = new SinkDef("other", COLUMNS, List.of(), List.of(), Map.of());
    assertThatThrownBy(() -> SinkTables.ensure(catalog, "ns", List.of(other, sink(broken, List.of(), List.of()))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("table ns.t: column 'id' is int in the existing table but string in sink.schema");
    assertThat(catalog.tableExists(TableIdentifier.of("ns", "other"))).isFalse();
  }

  /**
   * A name that steps out of a directory warehouse (what Iceberg's Hadoop catalog does not stop): a new table is
   * refused before anything is written, an existing one before anything more is written to it. The job's own
   * name rules (TableNames) refuse such names first; this is the check of where the table really lies.
   */
  @Test
  void aTableOutsideTheWarehouseIsRefusedBeforeAnythingIsWritten(@TempDir Path root) {
    Path wh = root.resolve("wh");
    HadoopCatalog catalog = new HadoopCatalog(new Configuration(), wh.toUri().toString());
    Optional<String> warehouse = Optional.of(wh.toUri().toString());
    SinkDef escaping = new SinkDef("../../outside", COLUMNS, List.of(), List.of(), Map.of());
    assertThatThrownBy(() -> SinkTables.check(catalog, "ns", List.of(escaping), warehouse))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("table ns.../../outside would be created at file:")
        .hasMessageContaining(root + "/wh/ns/../../outside, outside the warehouse")
        .hasMessageContaining(", outside the warehouse " + wh.toUri() + "; the job writes no table anywhere else "
            + "(nothing was created or written)");
    assertThat(root.resolve("outside")).doesNotExist();

    // Made outside by hand, as Iceberg's Hadoop catalog lets anyone: the job will not write to it.
    catalog.createTable(TableIdentifier.of("ns", "../../outside"), IcebergSinkTable.icebergSchema(escaping));
    assertThat(root.resolve("outside/metadata")).exists();
    assertThatThrownBy(() -> SinkTables.check(catalog, "ns", List.of(escaping), warehouse))
        .hasMessageContaining("table ns.../../outside lies at file:")
        .hasMessageContaining(root + "/wh/ns/../../outside, outside the warehouse");

    SinkTables.check(catalog, "ns", List.of(sink(COLUMNS, List.of(), List.of())), warehouse).apply();
    assertThat(catalog.loadTable(TableIdentifier.of("ns", "t")).location()).endsWith(wh + "/ns/t");
  }

  @Test
  void underTheWarehouseMeansBelowItOnceNormalized() {
    assertThat(SinkTables.under("file:/tmp/wh/ns/t", "file:///tmp/wh")).isTrue();
    assertThat(SinkTables.under("file:/tmp/wh", "file:///tmp/wh/")).isTrue();
    assertThat(SinkTables.under("file:/tmp/wh/ns/../../other/t", "file:///tmp/wh")).isFalse();
    assertThat(SinkTables.under("file:/tmp/wh2/ns/t", "file:///tmp/wh")).as("a sibling with a longer name").isFalse();
    assertThat(SinkTables.under("s3://bucket/wh/ns.db/t", "s3a://bucket/wh")).isTrue();
    assertThat(SinkTables.under("s3://other/wh/ns.db/t", "s3://bucket/wh")).as("another bucket").isFalse();
    assertThat(SinkTables.under("hdfs://nn/wh/t", "file:///wh")).as("another file system").isFalse();
  }
}
