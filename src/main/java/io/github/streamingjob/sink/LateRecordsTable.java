package io.github.streamingjob.sink;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.SinkDef;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.TimestampType;
import org.apache.flink.table.types.logical.VarCharType;

/**
 * The Iceberg table records too late for their pipeline's event time are kept in: where they came from, their event
 * time, the watermark they missed, and the record as the pipeline decoded it (JSON). One table for every pipeline,
 * written by one writer, beside the dead letters: a late record is well formed, and replaying it into its topic
 * would only make it late again.
 */
public final class LateRecordsTable {
  public static final String NAME = "late_records";

  private LateRecordsTable() {}

  public static SinkDef of(String name) {
    VarCharType string = new VarCharType(VarCharType.MAX_LENGTH);
    return new SinkDef(name, List.of(
        ColumnDef.physical("pipeline", string),
        ColumnDef.physical("kafka_topic", string),
        ColumnDef.physical("kafka_partition", new IntType()),
        ColumnDef.physical("kafka_offset", new BigIntType()),
        ColumnDef.physical("kafka_timestamp", new TimestampType(3)),
        ColumnDef.physical("event_time", new TimestampType(3)),
        ColumnDef.physical("watermark", new TimestampType(3)),
        ColumnDef.physical("record", string),
        ColumnDef.physical("ingestion_time", new TimestampType(3))), List.of(), List.of(), Map.of());
  }
}
