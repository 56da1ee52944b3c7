package io.github.streamingjob.source;

import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import io.github.streamingjob.metrics.JobMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.Projection;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Format {@value #IDENTIFIER}: decodes with an inner format (json, csv, avro, avro-confluent, avro-glue, protobuf-confluent, ...) and
 * never fails on a bad record (only when a schema registry cannot be reached: that is no fault of the record). Instead it fills
 * the two last physical columns, {@value #ERROR_COLUMN} (what was wrong) and {@value #PAYLOAD_COLUMN} (the raw bytes), and leaves the others NULL, so the job can route the record
 * to a dead-letter table; or, with {@code on-error = skip}, drops it. Either way a metric counts it.
 * Being a format keeps the Kafka SQL source, and with it per-partition watermarks, as it is.
 */
public final class DeadLetterFormatFactory implements DeserializationFormatFactory {
  public static final String IDENTIFIER = "dead-letter";
  public static final String ERROR_COLUMN = "__error";
  public static final String PAYLOAD_COLUMN = "__payload";
  /** Counter registered per source reader: records that could not be decoded. */
  public static final String METRIC = "malformedRecords";

  public static final ConfigOption<String> FORMAT =
      ConfigOptions.key("format").stringType().noDefaultValue().withDescription("The inner format.");
  /** The entries reading the table: its counters are theirs ({@link JobMetrics}). */
  public static final ConfigOption<List<String>> PIPELINES = ConfigOptions.key("pipelines").stringType().asList()
      .defaultValues().withDescription("The entries that read this table, for their metrics.");
  public static final ConfigOption<String> ON_ERROR = ConfigOptions.key("on-error").stringType()
      .defaultValue("dead-letter").withDescription("dead-letter: emit the error row; skip: drop the record.");
  static final List<String> INNER_FORMATS =
      List.of("json", "csv", "avro", "debezium-json", "canal-json", "maxwell-json", "avro-confluent",
          "avro-glue", "protobuf-confluent");

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of(FORMAT);
  }

  /** Our options, plus every option of the inner formats under their own prefix (e.g. json.*). */
  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    Set<ConfigOption<?>> options = new HashSet<>();
    options.add(ON_ERROR);
    options.add(PIPELINES);
    for (String inner : INNER_FORMATS) {
      try {
        DeserializationFormatFactory f = FactoryUtil.discoverFactory(
            DeadLetterFormatFactory.class.getClassLoader(), DeserializationFormatFactory.class, inner);
        Set<ConfigOption<?>> innerOptions = new HashSet<>(f.requiredOptions());
        innerOptions.addAll(f.optionalOptions());
        innerOptions.forEach(o -> options.add(ConfigOptions.key(inner + "." + o.key()).stringType().noDefaultValue()));
      } catch (RuntimeException e) {
        // That format is not on the classpath: its options are simply unknown.
      }
    }
    return options;
  }

  @Override
  public DecodingFormat<DeserializationSchema<RowData>> createDecodingFormat(
      DynamicTableFactory.Context context, ReadableConfig formatOptions) {
    String inner = formatOptions.get(FORMAT);
    boolean skip = "skip".equals(formatOptions.get(ON_ERROR));
    List<String> pipelines = formatOptions.get(PIPELINES);
    String prefix = IDENTIFIER + "." + inner + ".";
    Map<String, String> innerOptions = new LinkedHashMap<>();
    context.getCatalogTable().getOptions().forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        innerOptions.put(k.substring(prefix.length()), v);
      }
    });
    DecodingFormat<DeserializationSchema<RowData>> innerFormat = FactoryUtil.discoverFactory(
            context.getClassLoader(), DeserializationFormatFactory.class, inner)
        .createDecodingFormat(context, Configuration.fromMap(innerOptions));
    String table = context.getObjectIdentifier().getObjectName();
    return new DecodingFormat<>() {
      @Override
      public DeserializationSchema<RowData> createRuntimeDecoder(DynamicTableSource.Context ctx, DataType physical) {
        List<String> names = DataType.getFieldNames(physical);
        int n = names.size();
        if (n < 3 || !names.get(n - 2).equals(ERROR_COLUMN) || !names.get(n - 1).equals(PAYLOAD_COLUMN)) {
          throw new IllegalArgumentException("format '" + IDENTIFIER + "' needs the physical columns to end with "
              + ERROR_COLUMN + " STRING, " + PAYLOAD_COLUMN + " BYTES; got " + names);
        }
        // Projection, not DataTypeUtils.projectRow: the latter is gone in Flink 2.x.
        DataType decoded = Projection.range(0, n - 2).project(physical);
        List<DataType> types = DataType.getFieldDataTypes(decoded);
        RowData.FieldGetter[] getters = new RowData.FieldGetter[types.size()];
        org.apache.flink.table.types.logical.LogicalType[] logical =
            new org.apache.flink.table.types.logical.LogicalType[types.size()];
        for (int i = 0; i < getters.length; i++) {
          logical[i] = types.get(i).getLogicalType();
          getters[i] = RowData.createFieldGetter(logical[i], i);
        }
        return new Decoder(innerFormat.createRuntimeDecoder(ctx, decoded), ctx.createTypeInformation(physical),
            getters, logical, skip, table, !innerFormat.getChangelogMode().containsOnly(RowKind.INSERT), pipelines);
      }

      /** The inner format's: a change-data format (debezium-json, ...) yields updates and deletes. */
      @Override
      public ChangelogMode getChangelogMode() {
        return innerFormat.getChangelogMode();
      }
    };
  }

  /**
   * A value for a NOT NULL column (a change-data topic's key) in an error row, which has no decoded values:
   * generated code may read such a column without a null check, and the row is dropped by the
   * {@value #ERROR_COLUMN} filter anyway.
   */
  static Object placeholder(org.apache.flink.table.types.logical.LogicalType type) {
    switch (type.getTypeRoot()) {
      case TINYINT:
        return (byte) 0;
      case SMALLINT:
        return (short) 0;
      case INTEGER:
      case DATE:
      case TIME_WITHOUT_TIME_ZONE:
        return 0;
      case BIGINT:
        return 0L;
      case FLOAT:
        return 0f;
      case DOUBLE:
        return 0d;
      case BOOLEAN:
        return false;
      case CHAR:
      case VARCHAR:
        return StringData.fromString("");
      case BINARY:
      case VARBINARY:
        return new byte[0];
      case DECIMAL:
        org.apache.flink.table.types.logical.DecimalType d = (org.apache.flink.table.types.logical.DecimalType) type;
        return org.apache.flink.table.data.DecimalData.zero(d.getPrecision(), d.getScale());
      case TIMESTAMP_WITHOUT_TIME_ZONE:
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
        return org.apache.flink.table.data.TimestampData.fromEpochMillis(0);
      default:
        return null;
    }
  }

  /** Wraps the inner decoder; a failure becomes an error row (or nothing, when skipping). */
  static final class Decoder implements DeserializationSchema<RowData> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(Decoder.class);
    private static final int MAX_ERROR_CHARS = 2000;

    private final DeserializationSchema<RowData> inner;
    private final TypeInformation<RowData> producedType;
    private final RowData.FieldGetter[] getters;
    private final org.apache.flink.table.types.logical.LogicalType[] types;
    private final int fields;
    private final boolean skip;
    private final String table;
    private final boolean changelog;
    private final List<String> pipelines;
    private transient Counter malformed;
    private transient Counter[] read;
    private transient Counter[] malformedPerPipeline;
    private transient Object[] placeholders;

    Decoder(DeserializationSchema<RowData> inner, TypeInformation<RowData> producedType,
        RowData.FieldGetter[] getters, org.apache.flink.table.types.logical.LogicalType[] types, boolean skip,
        String table, boolean changelog, List<String> pipelines) {
      this.inner = inner;
      this.producedType = producedType;
      this.getters = getters;
      this.types = types;
      this.fields = getters.length;
      this.skip = skip;
      this.table = table;
      this.changelog = changelog;
      this.pipelines = List.copyOf(pipelines);
    }

    @Override
    public void open(InitializationContext context) throws Exception {
      inner.open(context);
      malformed = context.getMetricGroup().counter(METRIC);
      read = new Counter[pipelines.size()];
      malformedPerPipeline = new Counter[pipelines.size()];
      for (int i = 0; i < read.length; i++) {
        MetricGroup group = JobMetrics.pipeline(context.getMetricGroup(), pipelines.get(i));
        read[i] = group.counter(JobMetrics.RECORDS_READ);
        malformedPerPipeline[i] = group.counter(JobMetrics.MALFORMED_RECORDS);
      }
      placeholders = new Object[fields];
      for (int i = 0; i < fields; i++) {
        placeholders[i] = types[i].isNullable() ? null : placeholder(types[i]);
      }
    }

    /**
     * Every row the inner format makes of the record, with its kind (a change-data format makes an update
     * into two), or one error row. Rows are collected first, so a record fails whole, never half-emitted.
     */
    @Override
    public void deserialize(byte[] message, Collector<RowData> out) throws IOException {
      inc(read);
      if (message == null || message.length == 0) {
        if (!changelog) {
          emit(out, malformed(message, "empty payload"));
        }
        return; // a change-data tombstone: Kafka compaction's marker after a delete, not a change
      }
      List<RowData> rows = new java.util.ArrayList<>(2);
      try {
        inner.deserialize(message, new org.apache.flink.api.common.functions.util.ListCollector<>(rows));
      } catch (IOException | RuntimeException e) {
        if (RegistrySchemas.unavailable(e)) {
          // Not the record's fault: failing makes the job restart from its last checkpoint and read it again.
          throw new IOException("the schema registry did not give the writer schema of a record of " + table
              + " (the job restarts and reads it again): " + describe(e), e);
        }
        emit(out, malformed(message, describe(e)));
        return;
      }
      if (rows.isEmpty() && !changelog) {
        emit(out, malformed(message, "the format produced no row"));
        return;
      }
      for (RowData row : rows) {
        out.collect(copy(row));
      }
    }

    @Override
    public RowData deserialize(byte[] message) throws IOException {
      List<RowData> rows = new java.util.ArrayList<>(1);
      deserialize(message, new org.apache.flink.api.common.functions.util.ListCollector<>(rows));
      return rows.isEmpty() ? null : rows.get(0);
    }

    private static void inc(Counter[] counters) {
      if (counters != null) {
        for (Counter c : counters) {
          c.inc();
        }
      }
    }

    private static void emit(Collector<RowData> out, RowData row) {
      if (row != null) {
        out.collect(row);
      }
    }

    /** The Kafka source expects a GenericRowData for the value's physical columns; the kind is kept. */
    private RowData copy(RowData row) {
      GenericRowData out = new GenericRowData(row.getRowKind(), fields + 2);
      if (row instanceof GenericRowData) {
        GenericRowData generic = (GenericRowData) row;
        for (int i = 0; i < fields; i++) {
          out.setField(i, generic.getField(i));
        }
      } else {
        for (int i = 0; i < fields; i++) {
          out.setField(i, getters[i].getFieldOrNull(row));
        }
      }
      return out;
    }

    private RowData malformed(byte[] message, String error) {
      if (malformed != null) {
        malformed.inc();
        inc(malformedPerPipeline);
      }
      if (skip) {
        LOG.warn("Skipped a malformed record of {} ({} bytes): {}", table, message == null ? 0 : message.length, error);
        return null;
      }
      GenericRowData row = new GenericRowData(fields + 2);
      for (int i = 0; placeholders != null && i < fields; i++) {
        row.setField(i, placeholders[i]);
      }
      row.setField(fields, StringData.fromString(error));
      row.setField(fields + 1, message == null ? new byte[0] : message);
      return row;
    }

    /** The messages of the cause chain; JSON errors say what and where, but payloads are not repeated. */
    static String describe(Throwable e) {
      StringBuilder sb = new StringBuilder();
      for (Throwable t = e; t != null && sb.length() < MAX_ERROR_CHARS; t = t.getCause()) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (m.startsWith("Failed to deserialize JSON")) {
          m = "not valid for the source schema";
        }
        if (sb.length() > 0) {
          sb.append(": ");
        }
        sb.append(m.replaceAll("\\s+", " "));
      }
      return sb.length() > MAX_ERROR_CHARS ? sb.substring(0, MAX_ERROR_CHARS) + "..." : sb.toString();
    }

    @Override
    public boolean isEndOfStream(RowData nextElement) {
      return false;
    }

    @Override
    public TypeInformation<RowData> getProducedType() {
      return producedType;
    }
  }
}
