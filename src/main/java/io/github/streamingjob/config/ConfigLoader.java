package io.github.streamingjob.config;

import io.github.streamingjob.config.Problems.At;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.UnresolvedUserDefinedType;
import org.apache.flink.table.types.logical.utils.LogicalTypeParser;
import org.apache.flink.util.TimeUtils;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Loads topics.yaml and transformations.yaml into a {@link JobConfig}. YAML is read with SnakeYAML's
 * safe constructor (standard tags only) under limits, and every problem in both files is collected
 * before failing, each naming the file, the entry and the key.
 */
public final class ConfigLoader {
  public static final String TOPICS_FILE = "topics.yaml";
  public static final String TRANSFORMATIONS_FILE = "transformations.yaml";
  /** Where the bundled config lives inside the JAR (MSF has nothing but the JAR). */
  public static final String CLASSPATH_DIR = "config/";

  // topics.yaml keys, as the seed spells them, plus the documented extensions.
  static final String TOPICS = "topics";
  static final String ENABLED = "enabled";
  static final String TOPIC = "topic";
  private static final java.util.regex.Pattern KAFKA_TOPIC_NAME = java.util.regex.Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  static final String KAFKA_GROUP_ID = "kafka_group_id";
  static final String SCAN_MODE = "scan_mode";
  static final String SCAN_TIMESTAMP_MS = "scan_timestamp_ms";
  static final String FORMAT = "format";
  static final String FORMAT_OPTIONS = "format_options";
  static final String SOURCE_SCHEMA = "source_schema";
  static final String WATERMARK = "watermark";
  static final String SINK = "sink";
  static final String TRANSFORMATION = "transformation";
  static final String KAFKA_PROPERTIES = "kafka_properties";
  static final String ON_ERROR = "on_error";
  static final String DEAD_LETTER_TABLE = "dead_letter_table";
  static final List<String> TOPIC_KEYS = List.of(ENABLED, TOPIC, KAFKA_GROUP_ID, SCAN_MODE, SCAN_TIMESTAMP_MS,
      FORMAT, FORMAT_OPTIONS, SOURCE_SCHEMA, WATERMARK, SINK, TRANSFORMATION, KAFKA_PROPERTIES, ON_ERROR,
      DEAD_LETTER_TABLE);

  static final String NAME = "name";
  static final String TYPE = "type";
  static final String EXPRESSION = "expression";
  static final String COLUMN = "column";
  static final String DELAY = "delay";
  static final String IDLE_TIMEOUT = "idle_timeout";
  /** {@code watermark.idle_timeout: off}: no partition is ever taken for idle. */
  static final String OFF = "off";
  static final String TABLE_NAME = "table_name";
  static final String SCHEMA = "schema";
  static final String PARTITION_BY = "partition_by";
  static final String PRIMARY_KEY = "primary_key";
  static final String PROPERTIES = "properties";
  static final String MAINTENANCE = "maintenance";
  static final List<String> SINK_KEYS = List.of(TABLE_NAME, SCHEMA, PARTITION_BY, PRIMARY_KEY, PROPERTIES, MAINTENANCE);

  // transformations.yaml keys.
  static final String TRANSFORMATIONS = "transformations";
  static final String CLASS = "class";
  static final String MODULE = "module";
  static final String DESCRIPTION = "description";

  public static final List<String> FORMATS =
      List.of("json", "csv", "avro", "raw", "debezium-json", "canal-json", "maxwell-json", "avro-confluent",
          "avro-glue", "protobuf-confluent");
  /** Formats whose writers' schemas are in a schema registry: source_schema may come from there. */
  public static final List<String> REGISTRY_FORMATS = List.of("avro-confluent", "avro-glue", "protobuf-confluent");
  /** The registry's address, among a registry format's format_options (or property group SchemaRegistry's). */
  public static final String REGISTRY_URL = "url";
  /** Formats whose records are changes of a database table: inserts, updates and deletes. */
  public static final List<String> CHANGE_DATA_FORMATS = List.of("debezium-json", "canal-json", "maxwell-json");
  /** Set by the job from the runtime properties; setting them per topic would be ambiguous. */
  static final Set<String> RESERVED_KAFKA_PROPERTIES =
      Set.of("bootstrap.servers", "group.id", "security.protocol", "sasl.mechanism", "sasl.jaas.config",
          "sasl.client.callback.handler.class");
  private static final List<String> TYPE_NAMES = List.of("CHAR", "VARCHAR", "STRING", "BOOLEAN", "BINARY",
      "VARBINARY", "BYTES", "DECIMAL", "TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE",
      "DATE", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ", "ARRAY", "MAP", "MULTISET", "ROW");

  private static final int MAX_FILE_CHARS = 1_000_000;

  private ConfigLoader() {}

  /** Loads both files from a directory on disk. */
  public static JobConfig load(Path dir) {
    return parse(read(dir.resolve(TOPICS_FILE)), read(dir.resolve(TRANSFORMATIONS_FILE)));
  }

  /** Loads the config bundled in the JAR under {@value #CLASSPATH_DIR}. */
  public static JobConfig loadFromClasspath() {
    return parse(readResource(CLASSPATH_DIR + TOPICS_FILE), readResource(CLASSPATH_DIR + TRANSFORMATIONS_FILE));
  }

  /** Parses both files' contents; the file names are used in messages. */
  public static JobConfig parse(String topicsYaml, String transformationsYaml) {
    Problems problems = new Problems();
    Map<String, TransformationDef> transformations =
        parseTransformations(At.file(TRANSFORMATIONS_FILE), transformationsYaml, problems);
    List<TopicDef> topics = parseTopics(At.file(TOPICS_FILE), topicsYaml, problems);
    crossCheck(topics, transformations, problems);
    problems.throwIfAny();
    return new JobConfig(topics, transformations);
  }

  private static String read(Path file) {
    try {
      if (Files.size(file) > MAX_FILE_CHARS) {
        throw new ConfigException(file + ": larger than " + MAX_FILE_CHARS + " bytes; not a config file?");
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new ConfigException(file + ": file not found");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot be read: " + e.getMessage());
    }
  }

  private static String readResource(String name) {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new ConfigException("classpath:" + name + ": not found in the JAR");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException("classpath:" + name + ": cannot be read: " + e.getMessage());
    }
  }

  /** Safe YAML: standard tags only (no Java classes), bounded aliases, size and depth; no duplicate keys. */
  static Object loadYaml(At at, String text, Problems problems) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(20);
    options.setAllowRecursiveKeys(false);
    options.setNestingDepthLimit(20);
    options.setCodePointLimit(MAX_FILE_CHARS);
    try {
      DumperOptions dumper = new DumperOptions();
      Object doc = new Yaml(new SafeConstructor(options), new Representer(dumper), dumper, options, new TextResolver())
          .load(text);
      if (doc == null) {
        problems.add(at, "the file is empty");
      }
      return doc;
    } catch (YAMLException e) {
      problems.add(at, "not valid YAML: " + describe(e));
      return null;
    }
  }

  /** SnakeYAML's error, with its line and column, in words a user can act on. */
  static String describe(YAMLException e) {
    if (e instanceof ReaderException) {
      ReaderException r = (ReaderException) e;
      return String.format("character U+%04X at position %d is not allowed in YAML (is this a text file?)",
          r.getCodePoint(), r.getPosition());
    }
    if (e instanceof MarkedYAMLException && ((MarkedYAMLException) e).getProblemMark() != null) {
      MarkedYAMLException m = (MarkedYAMLException) e;
      String where = "line " + (m.getProblemMark().getLine() + 1) + ", column " + (m.getProblemMark().getColumn() + 1)
          + ": ";
      String problem = firstLine(m.getProblem());
      String globalTag = "Global tag is not allowed: " + Tag.PREFIX;
      if (problem.startsWith(globalTag)) {
        return where + "the tag '!!" + problem.substring(globalTag.length()) + "' names a Java class; YAML tags are "
            + "refused (write plain values)";
      }
      return where + problem + (m.getContext() == null ? "" : " (" + firstLine(m.getContext()) + ")");
    }
    return firstLine(e.getMessage());
  }

  /**
   * Plain scalars stay text, except {@code true}/{@code false} and null. YAML 1.1's implicit types would
   * turn {@code 010} into 8, {@code 1:30} into 90, {@code no} into false and a date into a Date before
   * the loader sees them; every key here is read as text and converted by the key's own rule.
   */
  static final class TextResolver extends Resolver {
    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(Tag.BOOL, java.util.regex.Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF");
      addImplicitResolver(Tag.NULL, java.util.regex.Pattern.compile("^(?:~|null|Null|NULL| )$"), "~nN\0");
      addImplicitResolver(Tag.NULL, java.util.regex.Pattern.compile("^$"), null);
      addImplicitResolver(Tag.MERGE, java.util.regex.Pattern.compile("^(?:<<)$"), "<");
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unknown error";
    }
    return s.replace('\n', ' ').replaceAll("\\s+", " ").trim();
  }

  private static Map<String, TransformationDef> parseTransformations(At file, String text, Problems problems) {
    Map<String, TransformationDef> result = new LinkedHashMap<>();
    Map<String, Object> root = asMap(loadYaml(file, text, problems), file, problems, "a mapping with key 'transformations'");
    if (root == null) {
      return result;
    }
    checkKeys(root, List.of(TRANSFORMATIONS), file, problems);
    Map<String, Object> entries = asMap(required(root, TRANSFORMATIONS, file, problems), file.key(TRANSFORMATIONS),
        problems, "a mapping of transformation names to {class, module, description}");
    if (entries == null) {
      return result;
    }
    for (Map.Entry<String, Object> e : entries.entrySet()) {
      At at = file.entry("transformation", e.getKey());
      Map<String, Object> m = asMap(e.getValue(), at, problems, "a mapping with keys class, module, description");
      if (m == null) {
        continue;
      }
      checkKeys(m, List.of(CLASS, MODULE, DESCRIPTION), at, problems);
      String cls = string(required(m, CLASS, at, problems), at.key(CLASS), problems);
      String module = string(m.get(MODULE), at.key(MODULE), problems);
      String description = string(m.get(DESCRIPTION), at.key(DESCRIPTION), problems);
      if (cls != null && !cls.matches("[\\w$.]+")) {
        problems.add(at.key(CLASS), "'" + cls + "' is not a Java class name");
      } else if (module != null && !module.matches("[\\w.]+")) {
        problems.add(at.key(MODULE), "'" + module + "' is not a Java package name");
      } else if (cls != null) {
        result.put(e.getKey(), new TransformationDef(e.getKey(), cls, module, description));
      }
    }
    return result;
  }

  private static List<TopicDef> parseTopics(At file, String text, Problems problems) {
    List<TopicDef> result = new ArrayList<>();
    Map<String, Object> root = asMap(loadYaml(file, text, problems), file, problems, "a mapping with key 'topics'");
    if (root == null) {
      return result;
    }
    checkKeys(root, List.of(TOPICS), file, problems);
    Map<String, Object> entries =
        asMap(required(root, TOPICS, file, problems), file.key(TOPICS), problems, "a mapping of topic names");
    if (entries == null) {
      return result;
    }
    for (Map.Entry<String, Object> e : entries.entrySet()) {
      TopicDef topic = parseTopic(file.entry("topic", e.getKey()), e.getKey(), e.getValue(), problems);
      if (topic != null) {
        result.add(topic);
      }
    }
    return result;
  }

  private static TopicDef parseTopic(At at, String name, Object value, Problems problems) {
    int before = problems.messages().size();
    Map<String, Object> m = asMap(value, at, problems, "a mapping of topic settings");
    if (m == null) {
      return null;
    }
    checkKeys(m, TOPIC_KEYS, at, problems);
    TopicDef.Builder b = TopicDef.builder(name);
    Object enabled = m.get(ENABLED);
    if (enabled != null && !(enabled instanceof Boolean)) {
      problems.add(at.key(ENABLED), "'" + enabled + "' is not a boolean (expected true or false)");
    } else if (enabled != null) {
      b.enabled((Boolean) enabled);
    }
    String topic = nonEmpty(string(m.get(TOPIC), at.key(TOPIC), problems), at.key(TOPIC), problems);
    String kafkaTopic = topic != null ? topic : name;
    if (!KAFKA_TOPIC_NAME.matcher(kafkaTopic).matches()) {
      // One literal topic per entry: the dead-letter table records it as such.
      problems.add(topic != null ? at.key(TOPIC) : at, "'" + kafkaTopic + "' is not a Kafka topic name (one topic: "
          + "letters, digits, '.', '_', '-', at most 249 characters)" + (topic == null ? "; set 'topic'" : ""));
    }
    b.topic(topic);
    b.kafkaGroupId(nonEmpty(string(required(m, KAFKA_GROUP_ID, at, problems), at.key(KAFKA_GROUP_ID), problems),
        at.key(KAFKA_GROUP_ID), problems));
    String scanMode = string(m.get(SCAN_MODE), at.key(SCAN_MODE), problems);
    if (scanMode != null) {
      ScanMode.of(scanMode).ifPresentOrElse(b::scanMode, () -> problems.add(at.key(SCAN_MODE),
          "'" + scanMode + "' is not a scan mode (expected one of " + ScanMode.names() + ")"
              + Problems.didYouMean(scanMode, ScanMode.names())));
    }
    Object ts = m.get(SCAN_TIMESTAMP_MS);
    if (ts != null) {
      try {
        b.startupTimestampMillis(Long.parseLong(String.valueOf(ts).trim().replace("_", "")));
      } catch (NumberFormatException e) {
        problems.add(at.key(SCAN_TIMESTAMP_MS), "'" + ts + "' is not a number (epoch milliseconds)");
      }
    }
    if (ScanMode.TIMESTAMP.value().equals(scanMode) && ts == null) {
      problems.add(at.key(SCAN_TIMESTAMP_MS), "missing: scan_mode 'timestamp' needs the start time in epoch ms");
    }
    String format = string(m.get(FORMAT), at.key(FORMAT), problems);
    if (format != null) {
      if (FORMATS.contains(format)) {
        b.format(format);
      } else {
        problems.add(at.key(FORMAT), "'" + format + "' is not a supported format (expected one of " + FORMATS + ")"
            + Problems.didYouMean(format, FORMATS));
      }
    }
    Map<String, String> formatOptions = stringMap(m.get(FORMAT_OPTIONS), at.key(FORMAT_OPTIONS), problems);
    refuseClassValued(formatOptions, at.key(FORMAT_OPTIONS), problems);
    b.formatOptions(formatOptions);
    Map<String, String> kafkaProps = stringMap(m.get(KAFKA_PROPERTIES), at.key(KAFKA_PROPERTIES), problems);
    for (String k : kafkaProps.keySet()) {
      if (RESERVED_KAFKA_PROPERTIES.contains(k)) {
        problems.add(at.key(KAFKA_PROPERTIES).key(k),
            "is set by the job from the runtime properties (Kafka group), not per topic");
      }
    }
    refuseClassValued(kafkaProps, at.key(KAFKA_PROPERTIES), problems);
    b.kafkaProperties(kafkaProps);
    String onError = string(m.get(ON_ERROR), at.key(ON_ERROR), problems);
    if (onError != null) {
      OnError.of(onError).ifPresentOrElse(b::onError, () -> problems.add(at.key(ON_ERROR),
          "'" + onError + "' is not an error mode (expected one of " + OnError.names() + ")"
              + Problems.didYouMean(onError, OnError.names())));
    }
    String deadLetterTable = nonEmpty(string(m.get(DEAD_LETTER_TABLE), at.key(DEAD_LETTER_TABLE), problems),
        at.key(DEAD_LETTER_TABLE), problems);
    if (deadLetterTable != null) {
      b.deadLetterTable(deadLetterTable);
    }
    boolean registry = format != null && REGISTRY_FORMATS.contains(format);
    // A registry format's columns may come from the registry, at start-up (RegistrySchemas): none here.
    List<ColumnDef> source = registry && !m.containsKey(SOURCE_SCHEMA) ? List.of()
        : columns(required(m, SOURCE_SCHEMA, at, problems), at.key(SOURCE_SCHEMA), true, problems);
    b.sourceSchema(source);
    if (m.get(WATERMARK) != null) {
      b.watermark(watermark(m.get(WATERMARK), at.key(WATERMARK), source, problems));
    }
    if ("raw".equals(format) && source.stream().filter(c -> !c.isComputed()).count() != 1) {
      problems.add(at.key(SOURCE_SCHEMA), "format 'raw' reads the whole message into exactly one column");
    }
    SinkDef sink = sink(required(m, SINK, at, problems), at.key(SINK), problems);
    boolean changeData = format != null && CHANGE_DATA_FORMATS.contains(format);
    if (sink != null && changeData && sink.primaryKey().isEmpty()) {
      problems.add(at.key(SINK).key(PRIMARY_KEY), "missing: format '" + format + "' carries updates and deletes, "
          + "which an Iceberg table can only apply by key (set the key of the source table's rows)");
    }
    if (sink != null) {
      checkJobOwnedTableProperties(sink.properties(), sink.primaryKey(), changeData, at.key(SINK).key(PROPERTIES),
          problems);
    }
    b.sink(sink);
    b.transformation(nonEmpty(string(required(m, TRANSFORMATION, at, problems), at.key(TRANSFORMATION), problems),
        at.key(TRANSFORMATION), problems));
    return problems.messages().size() == before ? b.build() : null;
  }

  private static WatermarkDef watermark(Object value, At at, List<ColumnDef> source, Problems problems) {
    Map<String, Object> m = asMap(value, at, problems, "a mapping with keys column, delay, idle_timeout");
    if (m == null) {
      return null;
    }
    checkKeys(m, List.of(COLUMN, DELAY, IDLE_TIMEOUT), at, problems);
    String column = string(required(m, COLUMN, at, problems), at.key(COLUMN), problems);
    String delayText = string(m.getOrDefault(DELAY, "0 s"), at.key(DELAY), problems);
    String idleText = string(m.getOrDefault(IDLE_TIMEOUT, WatermarkDef.DEFAULT_IDLE_TIMEOUT.toSeconds() + " s"),
        at.key(IDLE_TIMEOUT), problems);
    if (column == null || delayText == null || idleText == null) {
      return null;
    }
    if (!source.isEmpty() && source.stream().noneMatch(c -> c.name().equals(column))) { // empty: the registry's
      problems.add(at.key(COLUMN), "'" + column + "' is not a column of source_schema");
    }
    Duration delay = duration(delayText, at.key(DELAY), problems);
    Optional<Duration> idle = Optional.empty();
    if (!OFF.equals(idleText.trim())) {
      idle = Optional.ofNullable(duration(idleText, at.key(IDLE_TIMEOUT), problems));
      if (idle.isPresent() && (idle.get().isZero() || idle.get().isNegative())) {
        problems.add(at.key(IDLE_TIMEOUT), "'" + idleText + "' is not a positive duration (write 'off' for a "
            + "watermark that waits for every partition)");
        return null;
      }
      if (idle.isEmpty()) {
        return null;
      }
    }
    return delay == null ? null : new WatermarkDef(column, delay, idle);
  }

  private static Duration duration(String text, At at, Problems problems) {
    try {
      return TimeUtils.parseDuration(text);
    } catch (IllegalArgumentException e) {
      problems.add(at, "'" + text + "' is not a duration (e.g. '5 s', '500 ms', '1 min')");
      return null;
    }
  }

  private static SinkDef sink(Object value, At at, Problems problems) {
    Map<String, Object> m = asMap(value, at, problems, "a mapping with keys table_name, schema");
    if (m == null) {
      return null;
    }
    checkKeys(m, SINK_KEYS, at, problems);
    String table = nonEmpty(string(required(m, TABLE_NAME, at, problems), at.key(TABLE_NAME), problems),
        at.key(TABLE_NAME), problems);
    List<ColumnDef> schema = columns(required(m, SCHEMA, at, problems), at.key(SCHEMA), false, problems);
    List<String> names = new ArrayList<>();
    schema.forEach(c -> names.add(c.name()));
    List<PartitionField> partitions = new ArrayList<>();
    List<String> partitionTexts = stringList(m.get(PARTITION_BY), at.key(PARTITION_BY), problems);
    for (int i = 0; i < partitionTexts.size(); i++) {
      try {
        PartitionField p = PartitionField.parse(partitionTexts.get(i));
        if (!names.isEmpty() && !names.contains(p.column())) {
          problems.add(at.key(PARTITION_BY).index(i), "'" + p.column() + "' is not a column of sink.schema"
              + Problems.didYouMean(p.column(), names));
        }
        partitions.add(p);
      } catch (IllegalArgumentException e) {
        problems.add(at.key(PARTITION_BY).index(i), e.getMessage());
      }
    }
    List<String> primaryKey = stringList(m.get(PRIMARY_KEY), at.key(PRIMARY_KEY), problems);
    for (String k : primaryKey) {
      if (!names.isEmpty() && !names.contains(k)) {
        problems.add(at.key(PRIMARY_KEY), "'" + k + "' is not a column of sink.schema" + Problems.didYouMean(k, names));
      }
    }
    Map<String, String> properties = stringMap(m.get(PROPERTIES), at.key(PROPERTIES), problems);
    refuseClassValued(properties, at.key(PROPERTIES), problems);
    MaintenanceDef maintenance = MaintenanceParser.parse(m.get(MAINTENANCE), at.key(MAINTENANCE), problems);
    if (table == null) {
      return null;
    }
    return new SinkDef(table, schema, partitions, primaryKey, properties, maintenance);
  }

  private static List<ColumnDef> columns(Object value, At at, boolean allowComputed, Problems problems) {
    List<ColumnDef> result = new ArrayList<>();
    if (value == null) {
      return result;
    }
    if (!(value instanceof List)) {
      problems.add(at, "expected a list of columns ('- name: ..., type: ...'), got " + describe(value)
          + (value instanceof Map ? "; perhaps you missed a dash prefix '-'?" : ""));
      return result;
    }
    List<?> list = (List<?>) value;
    if (list.isEmpty()) {
      problems.add(at, "the list of columns is empty");
    }
    Set<String> seen = new java.util.HashSet<>();
    List<String> allowed = allowComputed ? List.of(NAME, TYPE, EXPRESSION) : List.of(NAME, TYPE);
    for (int i = 0; i < list.size(); i++) {
      At col = at.index(i);
      Map<String, Object> m = asMap(list.get(i), col, problems, "a mapping with keys " + allowed);
      if (m == null) {
        continue;
      }
      checkKeys(m, allowed, col, problems);
      String name = nonEmpty(string(required(m, NAME, col, problems), col.key(NAME), problems), col.key(NAME), problems);
      if (name != null && !seen.add(name)) {
        problems.add(col.key(NAME), "duplicate column '" + name + "'");
      }
      String expression = allowComputed ? string(m.get(EXPRESSION), col.key(EXPRESSION), problems) : null;
      if (expression != null) {
        if (m.containsKey(TYPE)) {
          problems.add(col, "a computed column has 'expression' or 'type', not both (Flink derives its type)");
        } else if (name != null) {
          result.add(ColumnDef.computed(name, expression));
        }
        continue;
      }
      String typeText = string(required(m, TYPE, col, problems), col.key(TYPE), problems);
      LogicalType type = typeText == null ? null : parseType(typeText, col.key(TYPE), problems);
      if (name != null && type != null) {
        result.add(ColumnDef.physical(name, type));
      }
    }
    return result;
  }

  /** Flink's own type parser; it turns unknown names into unresolved user types, which we reject. */
  static LogicalType parseType(String text, At at, Problems problems) {
    try {
      LogicalType type = LogicalTypeParser.parse(text, ConfigLoader.class.getClassLoader());
      String unresolved = firstUnresolved(type);
      if (unresolved != null) {
        problems.add(at, "'" + text + "' is not a Flink SQL type: unknown type '" + unresolved + "'"
            + Problems.didYouMean(unresolved, TYPE_NAMES));
        return null;
      }
      return type;
    } catch (ValidationException e) {
      String cause = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
      problems.add(at, "'" + text + "' is not a Flink SQL type: " + firstLine(cause));
      return null;
    }
  }

  private static String firstUnresolved(LogicalType type) {
    if (type instanceof UnresolvedUserDefinedType) {
      return ((UnresolvedUserDefinedType) type).getUnresolvedIdentifier().getObjectName();
    }
    if (type.is(LogicalTypeRoot.DISTINCT_TYPE) || type.is(LogicalTypeRoot.STRUCTURED_TYPE)) {
      return type.asSummaryString();
    }
    for (LogicalType child : type.getChildren()) {
      String u = firstUnresolved(child);
      if (u != null) {
        return u;
      }
    }
    return null;
  }

  /**
   * Configuration names no code but transformers: a Kafka client property such as
   * {@code interceptor.classes} or an Iceberg table property such as {@code write.location-provider.impl}
   * would make the job load any class on its class path. Such keys are refused outright.
   */
  static void refuseClassValued(Map<String, String> properties, At at, Problems problems) {
    for (String key : properties.keySet()) {
      if (namesClasses(key)) {
        problems.add(at.key(key), "names Java classes to load; configuration may name only transformers "
            + "(in " + TRANSFORMATIONS_FILE + "), so class-valued properties are refused");
      }
    }
  }

  static boolean namesClasses(String key) {
    String k = key.toLowerCase(java.util.Locale.ROOT);
    return k.endsWith(".class") || k.endsWith(".classes") || k.endsWith("impl") || k.endsWith("class-name")
        || k.endsWith("deserializer") || k.endsWith("serializer") || CLASS_VALUED_KEYS.contains(k)
        || k.startsWith("config.providers");
  }

  /** Kafka client properties that name classes without saying so in their name. */
  private static final Set<String> CLASS_VALUED_KEYS =
      Set.of("metric.reporters", "security.providers");

  /**
   * Table properties the job derives from the YAML: a primary key makes the table format v2 (or later),
   * written as upserts, or, for a change-data topic, with its deletes and updates applied as they come.
   * sink.properties may restate them, not contradict them.
   */
  static void checkJobOwnedTableProperties(Map<String, String> properties, List<String> primaryKey, boolean changeData,
      At at, Problems problems) {
    String version = properties.get("format-version");
    String upsert = properties.get("write.upsert.enabled");
    if (!primaryKey.isEmpty() && changeData) {
      if (version != null && !version.trim().equals("2") && !version.trim().equals("3")) {
        problems.add(at.key("format-version"), "'" + version + "' contradicts primary_key: a table with deletes "
            + "needs format version 2 or 3 (the job sets 2)");
      }
      if (upsert != null && !upsert.trim().equalsIgnoreCase("false")) {
        problems.add(at.key("write.upsert.enabled"), "'" + upsert + "' contradicts the change-data format: its "
            + "updates and deletes are applied as they come, which upserts would not do for a row a filter drops "
            + "(the job sets false)");
      }
    } else if (!primaryKey.isEmpty()) {
      if (version != null && !version.trim().equals("2") && !version.trim().equals("3")) {
        problems.add(at.key("format-version"), "'" + version + "' contradicts primary_key: an upsert table needs "
            + "format version 2 or 3 (the job sets 2)");
      }
      if (upsert != null && !upsert.trim().equalsIgnoreCase("true")) {
        problems.add(at.key("write.upsert.enabled"), "'" + upsert + "' contradicts primary_key: a table with a "
            + "primary key is written as upserts (the job sets true)");
      }
    } else if (upsert != null && upsert.trim().equalsIgnoreCase("true")) {
      problems.add(at.key("write.upsert.enabled"), "'" + upsert + "' needs a primary_key: upserts replace rows "
          + "by key (set sink.primary_key instead)");
    }
  }

  private static void crossCheck(List<TopicDef> topics, Map<String, TransformationDef> transformations,
      Problems problems) {
    Map<String, String> tableOwners = new LinkedHashMap<>();
    At file = At.file(TOPICS_FILE);
    for (TopicDef t : topics) {
      if (!t.enabled()) {
        continue;
      }
      At at = file.entry("topic", t.name());
      if (!transformations.containsKey(t.transformation())) {
        problems.add(at.key(TRANSFORMATION), "'" + t.transformation() + "' is not registered in "
            + TRANSFORMATIONS_FILE + Problems.didYouMean(t.transformation(), transformations.keySet())
            + " (registered: " + transformations.keySet() + ")");
      }
      String table = t.sink().tableName().toLowerCase(java.util.Locale.ROOT);
      if (deadLetterTables(topics).contains(table)) {
        problems.add(at.key(SINK).key(TABLE_NAME), "table '" + t.sink().tableName()
            + "' is a dead-letter table (dead_letter_table); sink tables and dead-letter tables must differ");
      }
      String owner = tableOwners.putIfAbsent(table, t.name());
      if (owner != null) {
        problems.add(at.key(SINK).key(TABLE_NAME), "table '" + t.sink().tableName()
            + "' is already written by topic '" + owner + "' (each enabled topic needs its own sink table)");
      }
    }
  }

  private static Set<String> deadLetterTables(List<TopicDef> topics) {
    Set<String> names = new java.util.HashSet<>();
    topics.stream().filter(t -> t.enabled() && t.onError() == OnError.DEAD_LETTER)
        .forEach(t -> names.add(t.deadLetterTable().toLowerCase(java.util.Locale.ROOT)));
    return names;
  }

  // ---- small typed readers; each records a problem and returns null/empty on bad input ----

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object value, At at, Problems problems, String expected) {
    if (value == null) {
      return null;
    }
    if (value instanceof Map) {
      Map<Object, Object> raw = (Map<Object, Object>) value;
      Map<String, Object> m = new LinkedHashMap<>();
      for (Map.Entry<Object, Object> e : raw.entrySet()) {
        m.put(String.valueOf(e.getKey()), e.getValue());
      }
      return m;
    }
    problems.add(at, "expected " + expected + ", got " + describe(value)
        + (value instanceof List ? " (remove the dash prefix '-'?)" : ""));
    return null;
  }

  private static Object required(Map<String, Object> m, String key, At at, Problems problems) {
    Object v = m.get(key);
    if (v == null) {
      problems.add(at.key(key), m.containsKey(key) ? "has no value (required)" : "missing (required)");
    }
    return v;
  }

  static void checkKeys(Map<String, Object> m, List<String> allowed, At at, Problems problems) {
    for (String key : m.keySet()) {
      if (!allowed.contains(key)) {
        problems.add(at.key(key), "unknown key" + Problems.didYouMean(key, allowed) + " (allowed: " + allowed + ")");
      }
    }
  }

  static String string(Object value, At at, Problems problems) {
    if (value == null) {
      return null;
    }
    if (value instanceof String || value instanceof Number) {
      return value.toString();
    }
    problems.add(at, "expected a string, got " + describe(value));
    return null;
  }

  private static String nonEmpty(String value, At at, Problems problems) {
    if (value != null && value.isBlank()) {
      problems.add(at, "is empty");
      return null;
    }
    return value;
  }

  private static List<String> stringList(Object value, At at, Problems problems) {
    List<String> result = new ArrayList<>();
    if (value == null) {
      return result;
    }
    if (!(value instanceof List)) {
      problems.add(at, "expected a list, got " + describe(value));
      return result;
    }
    List<?> list = (List<?>) value;
    for (int i = 0; i < list.size(); i++) {
      String s = string(list.get(i), at.index(i), problems);
      if (s != null) {
        result.add(s);
      }
    }
    return result;
  }

  private static Map<String, String> stringMap(Object value, At at, Problems problems) {
    Map<String, String> result = new LinkedHashMap<>();
    Map<String, Object> m = asMap(value, at, problems, "a mapping of names to values");
    if (m == null) {
      return result;
    }
    for (Map.Entry<String, Object> e : m.entrySet()) {
      Object v = e.getValue();
      if (v instanceof String || v instanceof Number || v instanceof Boolean) {
        result.put(e.getKey(), v.toString());
      } else {
        problems.add(at.key(e.getKey()), "expected a single value, got " + describe(v));
      }
    }
    return result;
  }

  private static String describe(Object v) {
    if (v == null) {
      return "nothing";
    }
    if (v instanceof Map) {
      return "a mapping";
    }
    if (v instanceof List) {
      return "a list";
    }
    return "'" + v + "'";
  }
}
