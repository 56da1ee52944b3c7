package io.github.streamingjob.source;

import com.google.protobuf.Descriptors.Descriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.CachedSchemaRegistryClient;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.RestService;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.entities.SchemaString;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException;

/**
 * Decodes Confluent's Protobuf wire format: a zero byte, the writer's 4-byte schema id, the message indexes (a
 * zigzag-varint count, then each index; a lone 0 means the first message), then the Protobuf payload. The writer's
 * schema is fetched by id once ({@code GET /schemas/ids/{id}}) and the payload parsed as the message the indexes name.
 * Columns read the fields of their names ({@link ProtobufRows.Converter}), so an older or newer producer version is
 * read without a restart: fields it lacks are NULL, fields it adds wait for the next start's columns.
 *
 * <p>An id the registry does not know (404), a record not in this framing, a payload Protobuf cannot parse, or a
 * writer whose field the column's type cannot read is the record's fault: an {@link IOException} the dead-letter
 * format keeps the record for. The registry unreachable is not ({@link RegistrySchemas#unavailable}).
 */
final class ConfluentProtobufDeserializer implements DeserializationSchema<RowData> {
  private static final long serialVersionUID = 1L;
  private static final int SCHEMAS_CACHED = 64;
  /** More nesting than any real schema has: a corrupt count is refused before it allocates. */
  private static final int MAX_INDEXES = 64;

  private final String url;
  private final Map<String, String> clientOptions;
  private final RowType columns;
  private final TypeInformation<RowData> producedType;
  private transient RestService registry;
  /** Per writer schema id and message indexes: the converter bound to that writer's message. */
  private transient Map<String, Writer> writers;
  /** The last record's writer: a topic's records mostly share one, so the map is rarely asked. */
  private transient int lastId;
  private transient int[] lastIndexes;
  private transient Writer lastWriter;

  ConfluentProtobufDeserializer(String url, Map<String, String> clientOptions, RowType columns,
      TypeInformation<RowData> producedType) {
    this.url = url;
    this.clientOptions = clientOptions == null ? null : new HashMap<>(clientOptions);
    this.columns = columns;
    this.producedType = producedType;
  }

  /** A writer's message bound to the columns, or why its records cannot be read (the same for each of them). */
  private static final class Writer {
    final Descriptor message;
    final ProtobufRows.Converter converter;
    final String unreadable;

    Writer(Descriptor message, ProtobufRows.Converter converter, String unreadable) {
      this.message = message;
      this.converter = converter;
      this.unreadable = unreadable;
    }
  }

  @Override
  public void open(InitializationContext context) {
    registry = new RestService(url);
    // The client configures the REST service it is given: credentials, TLS, as avro-confluent's.
    new CachedSchemaRegistryClient(registry, SCHEMAS_CACHED, clientOptions == null ? Map.of() : clientOptions);
    lastIndexes = null; // no last writer yet
    writers = SchemaCache.lru(SCHEMAS_CACHED);
  }

  @Override
  public RowData deserialize(byte[] message) throws IOException {
    if (message.length < 6 || message[0] != 0) {
      throw new IOException("not in Confluent's wire format: " + (message.length < 6 ? message.length
          + " bytes, fewer than its 6-byte minimum" : "magic byte " + message[0] + ", expected 0"));
    }
    ByteBuffer in = ByteBuffer.wrap(message, 1, message.length - 1);
    int id = in.getInt();
    int[] indexes = indexes(in);
    Writer writer = lastWriter;
    if (id != lastId || !Arrays.equals(indexes, lastIndexes)) {
      String key = id + ":" + Arrays.toString(indexes);
      writer = writers.get(key);
      if (writer == null) {
        writer = writer(id, indexes);
        writers.put(key, writer);
      }
      lastId = id;
      lastIndexes = indexes;
      lastWriter = writer;
    }
    if (writer.unreadable != null) {
      throw new IOException(writer.unreadable);
    }
    try {
      return writer.converter.convert(ProtobufRows.decode(writer.message, message, in.position(), in.remaining()));
    } catch (IOException | RuntimeException e) {
      throw new IOException("not a " + writer.message.getFullName() + " of schema id " + id + ": " + e.getMessage(),
          e);
    }
  }

  /** Confluent's message indexes: a count, then each index, all zigzag varints; a count of 0 means [0]. */
  static int[] indexes(ByteBuffer in) throws IOException {
    int n = zigzag(in);
    if (n == 0) {
      return new int[] {0};
    }
    if (n < 0 || n > MAX_INDEXES) {
      throw new IOException("message index count " + n + " is out of range");
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = zigzag(in);
    }
    return out;
  }

  private static int zigzag(ByteBuffer in) throws IOException {
    int raw = 0;
    for (int shift = 0; shift < 32; shift += 7) {
      if (!in.hasRemaining()) {
        throw new IOException("the message indexes end early");
      }
      byte b = in.get();
      raw |= (b & 0x7f) << shift;
      if (b >= 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw new IOException("a message index is longer than a 32-bit varint");
  }

  private Writer writer(int id, int[] indexes) throws IOException {
    SchemaString schema;
    try {
      schema = registry.getId(id);
    } catch (RestClientException e) {
      // RegistrySchemas.unavailable tells the two apart by the cause: 404 is the record's, others the registry's.
      throw new IOException((e.getStatus() == 404 ? "the schema registry does not know schema id "
          : "the schema registry did not give schema id ") + id + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IOException("the schema registry did not give schema id " + id + ": " + e, e);
    }
    // What follows depends on the schema alone: kept, so a bad writer's records do not each ask the registry.
    if (!"PROTOBUF".equals(schema.getSchemaType())) {
      return new Writer(null, null, "schema id " + id + " is " + (schema.getSchemaType() == null ? "AVRO"
          : schema.getSchemaType()) + ", not Protobuf");
    }
    try {
      Descriptor d = ProtobufRows.message(ProtobufRows.parse(schema.getSchemaString()), indexes);
      return new Writer(d, new ProtobufRows.Converter(columns, d), null);
    } catch (IllegalArgumentException e) {
      return new Writer(null, null, "schema id " + id + " " + Arrays.toString(indexes) + ": " + e.getMessage());
    }
  }

  @Override
  public boolean isEndOfStream(RowData next) {
    return false;
  }

  @Override
  public TypeInformation<RowData> getProducedType() {
    return producedType;
  }
}
