package io.github.streamingjob.source;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.Problems.At;
import io.github.streamingjob.config.RuntimeProperties;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.util.Secrets;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.CachedSchemaRegistryClient;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.SchemaMetadata;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.formats.avro.registry.confluent.RegistryAvroFormatFactory;
import org.apache.flink.formats.avro.typeutils.AvroSchemaConverter;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.glue.GlueClient;
import software.amazon.awssdk.services.glue.model.AccessDeniedException;
import software.amazon.awssdk.services.glue.model.DataFormat;
import software.amazon.awssdk.services.glue.model.EntityNotFoundException;
import software.amazon.awssdk.services.glue.model.GetSchemaVersionResponse;

/**
 * The columns of the topics in a schema-registry format ({@code avro-confluent}, {@code avro-glue},
 * {@code protobuf-confluent}), read from the registry at start-up: the latest schema of the topic's subject (Glue:
 * schema), converted by Flink's own Avro converter (Protobuf: {@link ProtobufRows}). Left out of {@code source_schema}, they are that schema's fields; given, each column is checked against it.
 *
 * <p>The records are then decoded by Flink's {@code avro-confluent} format, {@link GlueAvroFormatFactory} or
 * {@link ConfluentProtobufFormatFactory}: each fetches a record's writer schema by the id in the record (once per id)
 * and resolves it to these columns (Avro's rules; Protobuf's fields by name). So a producer's newer
 * compatible version (an added optional field, say) is read without a restart, and its new fields are left out
 * until the next start takes the newer schema's columns.
 */
public final class RegistrySchemas {
  /** Flink's option naming the subject; also the subject read here. */
  static final String SUBJECT = "subject";
  private static final int SCHEMAS_CACHED = 16;

  private RegistrySchemas() {}

  public static boolean uses(TopicDef topic) {
    return ConfigLoader.REGISTRY_FORMATS.contains(topic.format());
  }

  /** {@code format_options.subject}, else Confluent's default for a record value: {@code <topic>-value}. */
  public static String subject(TopicDef topic) {
    return topic.formatOptions().getOrDefault(SUBJECT, topic.topic() + "-value");
  }

  /**
   * The topics with their columns from the registry, or checked against it; every topic's problems at once.
   *
   * @param defaults the property group SchemaRegistry: format options a topic does not set itself (the registry's
   *     address and credentials, kept out of topics.yaml and the JAR)
   */
  public static List<TopicDef> resolve(List<TopicDef> topics, Map<String, String> defaults) {
    Problems problems = new Problems();
    List<TopicDef> resolved = new ArrayList<>();
    for (TopicDef configured : topics) {
      if (!uses(configured)) {
        resolved.add(configured);
        continue;
      }
      boolean glue = GlueAvroFormatFactory.IDENTIFIER.equals(configured.format());
      // Of the group's keys, those of this topic's registry (a job may read from both kinds).
      Map<String, String> options = new LinkedHashMap<>();
      List<String> keys = glue ? RuntimeProperties.GLUE_REGISTRY_KEYS : RuntimeProperties.CONFLUENT_REGISTRY_KEYS;
      defaults.forEach((k, v) -> {
        if (keys.contains(k)) {
          options.put(k, v);
        }
      });
      options.putAll(configured.formatOptions());
      TopicDef t = configured.toBuilder().formatOptions(options).build();
      At at = At.file(ConfigLoader.TOPICS_FILE).entry("topic", t.name());
      String required = glue ? GlueAvroFormatFactory.REGISTRY_NAME.key() : ConfigLoader.REGISTRY_URL;
      if (!options.containsKey(required)) {
        problems.add(at.key("format_options").key(required), "missing: format '" + t.format()
            + "' reads each record's schema from a schema registry; give " + (glue
                ? "its name here or in the property group SchemaRegistry (with region, unless the runtime's)"
                : "its address here or in the property group SchemaRegistry, e.g. https://registry:8081"));
        continue;
      }
      (glue ? latestGlue(t, at, problems) : latest(t, at, problems)).ifPresent(latest -> {
        TopicDef r = columns(t, latest, at, problems);
        if (r != null) {
          resolved.add(r);
        }
      });
    }
    problems.throwIfAny();
    return resolved;
  }

  /** A subject's latest schema, as the registry gave it. */
  static final class Latest {
    /** Where it is, e.g. "the schema registry at URL, subject 'S' version 3 (schema id 7)". */
    final String described;
    final RowType row;

    Latest(String described, RowType row) {
      this.described = described;
      this.row = row;
    }

    @Override
    public String toString() {
      return described;
    }
  }

  /** The registry, named in messages: its address without a password it may hold. */
  static String where(String url) {
    return "the schema registry at " + Secrets.maskUri(url);
  }

  static Optional<Latest> latest(TopicDef t, At at, Problems problems) {
    String url = t.formatOptions().get(ConfigLoader.REGISTRY_URL);
    String subject = subject(t);
    String where = where(url);
    SchemaMetadata m;
    try {
      // The client as Flink's format makes it: the same credentials and TLS options.
      Map<String, String> client = RegistryAvroFormatFactory.buildOptionalPropertiesMap(
          Configuration.fromMap(t.formatOptions()));
      m = new CachedSchemaRegistryClient(url, SCHEMAS_CACHED, client == null ? Map.of() : client)
          .getLatestSchemaMetadata(subject);
    } catch (RestClientException e) {
      if (e.getStatus() == 404) {
        problems.add(at.key("format_options").key(SUBJECT), "subject '" + subject + "' has no schema in " + where
            + " (" + e.getMessage() + "): register the producers' schema first, or set format_options.subject");
      } else if (e.getStatus() == 401 || e.getStatus() == 403) {
        problems.add(at.key("format_options"), where + " refused the credentials (HTTP " + e.getStatus()
            + "): check basic-auth.* or bearer-auth.*");
      } else {
        problems.add(at.key("format_options").key(ConfigLoader.REGISTRY_URL), where + " answered HTTP "
            + e.getStatus() + " for subject '" + subject + "': " + e.getMessage());
      }
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      problems.add(at.key("format_options").key(ConfigLoader.REGISTRY_URL), "could not read the schema of subject '"
          + subject + "' from " + where + ": " + e + " (is the registry up and reachable from the job?)");
      return Optional.empty();
    }
    boolean protobuf = ConfluentProtobufFormatFactory.IDENTIFIER.equals(t.format());
    String type = m.getSchemaType() == null ? "AVRO" : m.getSchemaType();
    if (!type.equals(protobuf ? "PROTOBUF" : "AVRO")) {
      problems.add(at.key("format"), "subject '" + subject + "' holds a " + type + " schema in " + where
          + "; format '" + t.format() + "' reads " + (protobuf ? "Protobuf" : "Avro"));
      return Optional.empty();
    }
    String what = "subject '" + subject + "' in " + where;
    return (protobuf ? protobufRow(m.getSchema(), t.formatOptions().get(ConfluentProtobufFormatFactory.MESSAGE.key()),
        what, at, problems) : row(m.getSchema(), what, at, problems)).map(row -> new Latest(
            where + ", subject '" + subject + "' version " + m.getVersion() + " (schema id " + m.getId() + ")", row));
  }

  /** A Protobuf schema's message (named, else the first) as columns ({@link ProtobufRows}). */
  private static Optional<RowType> protobufRow(String proto, String message, String what, At at, Problems problems) {
    try {
      return Optional.of(ProtobufRows.rowType(ProtobufRows.message(ProtobufRows.parse(proto), message)));
    } catch (IllegalArgumentException e) {
      problems.add(message != null ? at.key("format_options").key(ConfluentProtobufFormatFactory.MESSAGE.key())
          : at.key("format"), "the " + what + " is not one this job reads: " + e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * An {@code avro-glue} topic's latest schema version: schema {@code format_options.schema.name}, else the topic's
   * name (as AWS's serializer names it), in registry {@code registry.name}.
   */
  static Optional<Latest> latestGlue(TopicDef t, At at, Problems problems) {
    Map<String, String> o = t.formatOptions();
    String registryName = o.get(GlueAvroFormatFactory.REGISTRY_NAME.key());
    String schema = o.getOrDefault(GlueAvroFormatFactory.SCHEMA_NAME.key(), t.topic());
    GlueRegistry registry = new GlueRegistry(o.get(GlueAvroFormatFactory.REGION.key()),
        o.get(GlueAvroFormatFactory.ENDPOINT.key()));
    String where = registry.describe(registryName);
    GetSchemaVersionResponse v;
    try (GlueClient glue = registry.client()) {
      v = glue.getSchemaVersion(r -> r.schemaId(id -> id.registryName(registryName).schemaName(schema))
          .schemaVersionNumber(n -> n.latestVersion(true)));
    } catch (EntityNotFoundException e) {
      problems.add(at.key("format_options").key(GlueAvroFormatFactory.SCHEMA_NAME.key()), "schema '" + schema
          + "' is not in " + where + " (" + e.awsErrorDetails().errorMessage() + "): register the producers' schema "
          + "first, or set format_options.schema.name");
      return Optional.empty();
    } catch (AccessDeniedException e) {
      problems.add(at.key("format_options"), where + " refused the job's AWS identity: it needs glue:GetSchemaVersion "
          + "on the registry and its schemas (" + e.awsErrorDetails().errorMessage() + ")");
      return Optional.empty();
    } catch (RuntimeException e) {
      problems.add(at.key("format_options").key(GlueAvroFormatFactory.REGION.key()), "could not read the latest "
          + "version of schema '" + schema + "' from " + where + ": " + e + " (is the region right, and Glue reachable "
          + "from the job?)");
      return Optional.empty();
    }
    if (v.dataFormat() != DataFormat.AVRO) {
      problems.add(at.key("format"), "schema '" + schema + "' in " + where + " is " + v.dataFormatAsString()
          + "; format '" + t.format() + "' reads Avro");
      return Optional.empty();
    }
    return row(v.schemaDefinition(), "schema '" + schema + "' in " + where, at, problems).map(row -> new Latest(
        where + ", schema '" + schema + "' version " + v.versionNumber() + " (schema version id "
            + v.schemaVersionId() + ")", row));
  }

  /** An Avro schema's fields as columns, by Flink's own converter. */
  private static Optional<RowType> row(String avro, String what, At at, Problems problems) {
    DataType type;
    try {
      type = AvroSchemaConverter.convertToDataType(avro);
    } catch (RuntimeException e) {
      problems.add(at.key("format"), "the " + what + " is not one Flink reads: " + e.getMessage());
      return Optional.empty();
    }
    if (!(type.getLogicalType() instanceof RowType)) {
      problems.add(at.key("format"), "the " + what + " is a " + type.getLogicalType()
          + ", not a record: a table needs named fields");
      return Optional.empty();
    }
    return Optional.of((RowType) type.getLogicalType());
  }

  /** The registry's columns, or the topic's own after checking each against the registry's field. */
  static TopicDef columns(TopicDef t, Latest latest, At at, Problems problems) {
    Map<String, LogicalType> fields = new LinkedHashMap<>();
    latest.row.getFields().forEach(f -> fields.put(f.getName(), f.getType()));
    if (t.sourceSchema().isEmpty()) {
      List<ColumnDef> columns = fields.entrySet().stream().map(f -> ColumnDef.physical(f.getKey(), f.getValue()))
          .collect(Collectors.toList());
      t.watermark().filter(w -> !fields.containsKey(w.column())).ifPresent(w -> problems.add(
          at.key("watermark").key("column"), "'" + w.column() + "' is not a field of " + latest + " (fields: "
              + fields.keySet() + ")"));
      return t.toBuilder().sourceSchema(columns).columnsFrom(latest.toString()).build();
    }
    int before = problems.messages().size();
    List<ColumnDef> given = t.sourceSchema();
    for (int i = 0; i < given.size(); i++) {
      ColumnDef c = given.get(i);
      if (c.isComputed()) {
        continue;
      }
      At column = at.key("source_schema").index(i);
      LogicalType registry = fields.get(c.name());
      LogicalType own = c.type().get();
      if (registry == null) {
        problems.add(column, "'" + c.name() + "' is not a field of " + latest + Problems.didYouMean(c.name(),
            fields.keySet()) + " (fields: " + fields.keySet() + ")");
      } else if (!reads(registry, own)) {
        problems.add(column, "'" + c.name() + "' is " + own.asSummaryString() + " but the field is "
            + registry.asSummaryString() + " in " + latest + (registry.isNullable() && !own.isNullable()
                ? ": the field may be null, the column may not" : ""));
      }
    }
    return problems.messages().size() == before ? t.toBuilder().columnsFrom(latest + ", checked").build() : null;
  }

  /** Whether a column of type {@code own} reads a field of type {@code field}: equal, or one of Avro's promotions. */
  static boolean reads(LogicalType field, LogicalType own) {
    if (field.isNullable() && !own.isNullable()) {
      return false;
    }
    LogicalType f = field.copy(true);
    LogicalType o = own.copy(true);
    if (f.equals(o)) {
      return true;
    }
    LogicalTypeRoot from = f.getTypeRoot();
    LogicalTypeRoot to = o.getTypeRoot();
    switch (from) {
      case INTEGER:
        return to == LogicalTypeRoot.BIGINT || to == LogicalTypeRoot.FLOAT || to == LogicalTypeRoot.DOUBLE;
      case BIGINT:
        return to == LogicalTypeRoot.FLOAT || to == LogicalTypeRoot.DOUBLE;
      case FLOAT:
        return to == LogicalTypeRoot.DOUBLE;
      case VARCHAR:
      case CHAR:
        return to == LogicalTypeRoot.VARCHAR || to == LogicalTypeRoot.VARBINARY;
      case VARBINARY:
      case BINARY:
        return to == LogicalTypeRoot.VARCHAR || to == LogicalTypeRoot.VARBINARY;
      default:
        return false;
    }
  }

  /**
   * Whether decoding failed because the registry could not answer (down, unreachable, refusing), not because the
   * record is bad. An id the registry does not know (404) is the record's: it goes to dead letters.
   */
  static boolean unavailable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RestClientException) {
        return ((RestClientException) t).getStatus() != 404;
      }
      if (t instanceof SdkException) {
        return GlueRegistry.unavailable((SdkException) t);
      }
      if (t instanceof java.net.SocketException || t instanceof java.net.SocketTimeoutException
          || t instanceof java.net.UnknownHostException || t instanceof javax.net.ssl.SSLException
          || t instanceof java.net.http.HttpTimeoutException) {
        return true;
      }
    }
    return false;
  }
}
