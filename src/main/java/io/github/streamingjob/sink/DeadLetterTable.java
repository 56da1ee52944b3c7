package io.github.streamingjob.sink;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.SinkDef;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.TimestampType;
import org.apache.flink.table.types.logical.VarBinaryType;
import org.apache.flink.table.types.logical.VarCharType;

/** The Iceberg table malformed records are kept in, with all a replay needs. */
public final class DeadLetterTable {
  private DeadLetterTable() {}

  public static SinkDef of(String name) {
    VarCharType string = new VarCharType(VarCharType.MAX_LENGTH);
    return new SinkDef(name, List.of(
        ColumnDef.physical("pipeline", string),
        ColumnDef.physical("kafka_topic", string),
        ColumnDef.physical("kafka_partition", new IntType()),
        ColumnDef.physical("kafka_offset", new BigIntType()),
        ColumnDef.physical("kafka_timestamp", new TimestampType(3)),
        ColumnDef.physical("payload", new VarBinaryType(VarBinaryType.MAX_LENGTH)),
        ColumnDef.physical("error", string),
        ColumnDef.physical("ingestion_time", new TimestampType(3))), List.of(), List.of(), Map.of());
  }
}
