package io.github.streamingjob.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** One entry of topics.yaml: a Kafka topic, how to read it, and the Iceberg table it feeds. */
public final class TopicDef {
  private final String name;
  private final boolean enabled;
  private final String topic;
  private final String kafkaGroupId;
  private final ScanMode scanMode;
  private final Long startupTimestampMillis;
  private final String format;
  private final Map<String, String> formatOptions;
  private final List<ColumnDef> sourceSchema;
  private final WatermarkDef watermark;
  private final SinkDef sink;
  private final String transformation;
  private final Map<String, String> kafkaProperties;
  private final OnError onError;
  private final String deadLetterTable;
  private final String columnsFrom;

  private TopicDef(Builder b) {
    this.name = Objects.requireNonNull(b.name);
    this.enabled = b.enabled;
    this.topic = b.topic == null ? b.name : b.topic;
    this.kafkaGroupId = Objects.requireNonNull(b.kafkaGroupId);
    this.scanMode = Objects.requireNonNull(b.scanMode);
    this.startupTimestampMillis = b.startupTimestampMillis;
    this.format = Objects.requireNonNull(b.format);
    this.formatOptions = Map.copyOf(b.formatOptions);
    this.sourceSchema = List.copyOf(b.sourceSchema);
    this.watermark = b.watermark;
    this.sink = Objects.requireNonNull(b.sink);
    this.transformation = Objects.requireNonNull(b.transformation);
    this.kafkaProperties = Map.copyOf(b.kafkaProperties);
    this.onError = Objects.requireNonNull(b.onError);
    this.deadLetterTable = Objects.requireNonNull(b.deadLetterTable);
    this.columnsFrom = b.columnsFrom;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The entry's key in topics.yaml; names the pipeline. */
  public String name() {
    return name;
  }

  public boolean enabled() {
    return enabled;
  }

  /** The Kafka topic read: {@code topic} if given, else the entry's key. */
  public String topic() {
    return topic;
  }

  public String kafkaGroupId() {
    return kafkaGroupId;
  }

  public ScanMode scanMode() {
    return scanMode;
  }

  /** Start position for {@link ScanMode#TIMESTAMP}. */
  public Optional<Long> startupTimestampMillis() {
    return Optional.ofNullable(startupTimestampMillis);
  }

  /** Whether the records are database changes (debezium-json, ...): inserts, updates and deletes. */
  public boolean changeData() {
    return ConfigLoader.CHANGE_DATA_FORMATS.contains(format);
  }

  public String format() {
    return format;
  }

  /** Options of the format, without the format prefix (e.g. {@code ignore-parse-errors}). */
  public Map<String, String> formatOptions() {
    return formatOptions;
  }

  public List<ColumnDef> sourceSchema() {
    return sourceSchema;
  }

  public Optional<WatermarkDef> watermark() {
    return Optional.ofNullable(watermark);
  }

  public SinkDef sink() {
    return sink;
  }

  public String transformation() {
    return transformation;
  }

  /** Extra Kafka consumer properties, passed as {@code properties.*} options. */
  public Map<String, String> kafkaProperties() {
    return kafkaProperties;
  }

  /** What happens to a record the format cannot decode. */
  public OnError onError() {
    return onError;
  }

  /** The Iceberg table malformed records go to, with {@link OnError#DEAD_LETTER}. */
  public String deadLetterTable() {
    return deadLetterTable;
  }

  /** Where the source columns came from, when not from topics.yaml: a schema registry's schema, named. */
  public Optional<String> columnsFrom() {
    return Optional.ofNullable(columnsFrom);
  }

  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.enabled = enabled;
    b.topic = topic;
    b.kafkaGroupId = kafkaGroupId;
    b.scanMode = scanMode;
    b.startupTimestampMillis = startupTimestampMillis;
    b.format = format;
    b.formatOptions = formatOptions;
    b.sourceSchema = sourceSchema;
    b.watermark = watermark;
    b.sink = sink;
    b.transformation = transformation;
    b.kafkaProperties = kafkaProperties;
    b.onError = onError;
    b.deadLetterTable = deadLetterTable;
    b.columnsFrom = columnsFrom;
    return b;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TopicDef)) {
      return false;
    }
    TopicDef t = (TopicDef) o;
    return name.equals(t.name)
        && enabled == t.enabled
        && topic.equals(t.topic)
        && kafkaGroupId.equals(t.kafkaGroupId)
        && scanMode == t.scanMode
        && Objects.equals(startupTimestampMillis, t.startupTimestampMillis)
        && format.equals(t.format)
        && formatOptions.equals(t.formatOptions)
        && sourceSchema.equals(t.sourceSchema)
        && Objects.equals(watermark, t.watermark)
        && sink.equals(t.sink)
        && transformation.equals(t.transformation)
        && kafkaProperties.equals(t.kafkaProperties)
        && onError == t.onError
        && deadLetterTable.equals(t.deadLetterTable)
        && Objects.equals(columnsFrom, t.columnsFrom);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, topic, sink, transformation);
  }

  @Override
  public String toString() {
    return "TopicDef{name=" + name + ", enabled=" + enabled + ", topic=" + topic + ", group=" + kafkaGroupId
        + ", scanMode=" + scanMode + ", format=" + format + ", sourceSchema=" + sourceSchema
        + ", watermark=" + watermark + ", sink=" + sink + ", transformation=" + transformation + ", onError="
        + onError + "}";
  }

  /** Builds a {@link TopicDef}; used by the loader and by tests that vary one field. */
  public static final class Builder {
    private final String name;
    private boolean enabled = true;
    private String topic;
    private String kafkaGroupId;
    private ScanMode scanMode = ScanMode.EARLIEST_OFFSET;
    private Long startupTimestampMillis;
    private String format = "json";
    private Map<String, String> formatOptions = Map.of();
    private List<ColumnDef> sourceSchema = List.of();
    private WatermarkDef watermark;
    private SinkDef sink;
    private String transformation;
    private Map<String, String> kafkaProperties = Map.of();
    private OnError onError = OnError.DEAD_LETTER;
    private String deadLetterTable = OnError.DEFAULT_DEAD_LETTER_TABLE;
    private String columnsFrom;

    private Builder(String name) {
      this.name = name;
    }

    public Builder enabled(boolean v) {
      enabled = v;
      return this;
    }

    public Builder topic(String v) {
      topic = v;
      return this;
    }

    public Builder kafkaGroupId(String v) {
      kafkaGroupId = v;
      return this;
    }

    public Builder scanMode(ScanMode v) {
      scanMode = v;
      return this;
    }

    public Builder startupTimestampMillis(Long v) {
      startupTimestampMillis = v;
      return this;
    }

    public Builder format(String v) {
      format = v;
      return this;
    }

    public Builder formatOptions(Map<String, String> v) {
      formatOptions = v;
      return this;
    }

    public Builder sourceSchema(List<ColumnDef> v) {
      sourceSchema = v;
      return this;
    }

    public Builder watermark(WatermarkDef v) {
      watermark = v;
      return this;
    }

    public Builder sink(SinkDef v) {
      sink = v;
      return this;
    }

    public Builder transformation(String v) {
      transformation = v;
      return this;
    }

    public Builder kafkaProperties(Map<String, String> v) {
      kafkaProperties = v;
      return this;
    }

    public Builder onError(OnError v) {
      onError = v;
      return this;
    }

    public Builder deadLetterTable(String v) {
      deadLetterTable = v;
      return this;
    }

    public Builder columnsFrom(String v) {
      columnsFrom = v;
      return this;
    }

    public TopicDef build() {
      return new TopicDef(this);
    }
  }
}
