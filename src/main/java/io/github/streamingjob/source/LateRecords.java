package io.github.streamingjob.source;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.config.WatermarkDef;
import io.github.streamingjob.util.Sql;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.utils.LogicalTypeChecks;
import org.apache.flink.util.OutputTag;

/**
 * Late records kept: a source whose entries read it in event time is read once as a stream, and every entry with a
 * watermark gets its well-formed records through a {@link LateRecordGate} behind an exchange. On-time records go to
 * its query; late ones to a view the late-records INSERT reads. Entries without event time read the stream as before.
 */
public final class LateRecords {
  /** The column of a late record holding the watermark it missed. */
  public static final String WATERMARK_COLUMN = "__watermark";
  /** The prefix of a gate's uid; the rest is the entry's name. */
  public static final String GATE_UID_PREFIX = "pipeline ";
  public static final String GATE_UID_SUFFIX = ": late-record gate";

  private LateRecords() {}

  /** Whether an entry's records pass a gate: it has event time and its source keeps malformed records. */
  public static boolean gated(TopicDef member, SharedKafkaSource source) {
    return member.watermark().isPresent() && source.gatesLateRecords();
  }

  /** The uid of an entry's gate: it holds the watermark it judged by. */
  public static String gateUid(String entry) {
    return GATE_UID_PREFIX + entry + GATE_UID_SUFFIX;
  }

  /** The view of an entry's late records: its source's columns and {@value #WATERMARK_COLUMN}. */
  public static String lateViewName(TopicDef member) {
    return KafkaSourceTable.tableName(member) + "__late";
  }

  static String onTimeViewName(TopicDef member) {
    return KafkaSourceTable.tableName(member) + "__on_time";
  }

  /**
   * Creates the source's raw table (through {@code execute}), reads it as one stream, and registers over it the
   * source's read view, each member's view and, for gated members, their late views.
   */
  public static void register(StreamTableEnvironment tableEnv, SharedKafkaSource source, KafkaSettings kafka,
      Consumer<String> execute) {
    execute.accept(KafkaSourceTable.ddl(source.table(), kafka, false, source.memberNames()).get(0));
    ResolvedSchema raw = tableEnv.from(Sql.ident(source.rawTableName())).getResolvedSchema();
    // Event time read as a plain timestamp: the stream keeps the source's watermarks, and a malformed record's
    // missing event time is no error (Flink refuses a NULL time attribute on its way out of SQL).
    List<String> select = new ArrayList<>();
    for (Column c : raw.getColumns()) {
      LogicalType type = c.getDataType().getLogicalType();
      select.add(LogicalTypeChecks.isTimeAttribute(type)
          ? "CAST(" + Sql.ident(c.getName()) + " AS " + plain(type).asSerializableString() + ") AS " + Sql.ident(c.getName())
          : Sql.ident(c.getName()));
    }
    Table read = tableEnv.sqlQuery("SELECT " + String.join(", ", select) + " FROM " + Sql.ident(source.rawTableName()));
    DataType rowDataType = read.getResolvedSchema().toPhysicalRowDataType();
    RowType rowType = (RowType) rowDataType.getLogicalType();
    DataStream<RowData> stream = tableEnv.toDataStream(read, rowDataType.bridgedTo(RowData.class));
    // Views of the streams themselves (not of an anonymous table): their operators are named after the view.
    tableEnv.createTemporaryView(Sql.ident(source.readTableName()), stream);

    int error = rowType.getFieldIndex(DeadLetterFormatFactory.ERROR_COLUMN);
    for (TopicDef member : source.members()) {
      if (!gated(member, source)) {
        execute.accept(KafkaSourceTable.view(member, source.readTableName()));
        continue;
      }
      WatermarkDef watermark = member.watermark().orElseThrow();
      int eventTime = rowType.getFieldIndex(watermark.column());
      List<RowType.RowField> lateFields = new ArrayList<>(rowType.getFields());
      lateFields.add(new RowType.RowField(WATERMARK_COLUMN, DataTypes.TIMESTAMP_LTZ(3).getLogicalType()));
      RowType lateType = new RowType(lateFields);
      OutputTag<RowData> late = LateRecordGate.lateOutput(member.name(), InternalTypeInfo.of(lateType));
      SingleOutputStreamOperator<RowData> onTime = stream.filter(new WellFormed(error))
          .name("well-formed records of " + member.name())
          .rebalance() // every reader's watermark: the one the query's operators see
          .transform("late-record gate", InternalTypeInfo.of(rowType), new LateRecordGate(late, eventTime,
              LogicalTypeChecks.getPrecision(rowType.getTypeAt(eventTime)), member.name()))
          .uid(gateUid(member.name()));
      Schema withEventTime = Schema.newBuilder().fromRowDataType(rowDataType)
          .watermark(watermark.column(), "SOURCE_WATERMARK()").build();
      tableEnv.createTemporaryView(Sql.ident(onTimeViewName(member)), onTime, withEventTime);
      execute.accept(KafkaSourceTable.view(member, onTimeViewName(member)));
      tableEnv.createTemporaryView(Sql.ident(lateViewName(member)), onTime.getSideOutput(late));
    }
  }

  /** A member's late records as rows of the late-records table. */
  public static String select(TopicDef member) {
    WatermarkDef watermark = member.watermark().orElseThrow();
    Map<String, String> record = new LinkedHashMap<>();
    member.sourceSchema().stream().filter(c -> !c.isComputed()).map(ColumnDef::name)
        .forEach(c -> record.put(c, Sql.ident(c)));
    return "SELECT " + Sql.literal(member.name()) + ", " + Sql.literal(member.topic()) + ", "
        + Sql.ident(KafkaSourceTable.KAFKA_PARTITION) + ", " + Sql.ident(KafkaSourceTable.KAFKA_OFFSET) + ", "
        + Sql.ident(KafkaSourceTable.KAFKA_TIMESTAMP) + ", " + Sql.ident(watermark.column()) + ", "
        + Sql.ident(WATERMARK_COLUMN) + ", JSON_OBJECT(" + record.entrySet().stream()
            .map(e -> "KEY " + Sql.literal(e.getKey()) + " VALUE " + e.getValue()).collect(Collectors.joining(", "))
        + "), CURRENT_TIMESTAMP\nFROM " + Sql.ident(lateViewName(member));
  }

  private static LogicalType plain(LogicalType timeAttribute) {
    return timeAttribute.is(org.apache.flink.table.types.logical.LogicalTypeRoot.TIMESTAMP_WITH_LOCAL_TIME_ZONE) ? DataTypes.TIMESTAMP_LTZ(LogicalTypeChecks.getPrecision(timeAttribute))
        .getLogicalType() : DataTypes.TIMESTAMP(LogicalTypeChecks.getPrecision(timeAttribute)).getLogicalType();
  }

  /** Only records the format could decode reach a query. */
  static final class WellFormed implements FilterFunction<RowData> {
    private static final long serialVersionUID = 1L;
    private final int error;

    WellFormed(int error) {
      this.error = error;
    }

    @Override
    public boolean filter(RowData row) {
      return row.isNullAt(error);
    }
  }
}
