package io.github.streamingjob.source;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import java.util.zip.InflaterInputStream;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.typeutils.GenericRecordAvroTypeInfo;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.glue.GlueClient;
import software.amazon.awssdk.services.glue.model.DataFormat;
import software.amazon.awssdk.services.glue.model.GetSchemaVersionResponse;
// flink-sql-avro-confluent-registry relocates Avro; Flink's Avro converters take its records.
import org.apache.flink.avro.shaded.org.apache.avro.Schema;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericDatumReader;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericRecord;
import org.apache.flink.avro.shaded.org.apache.avro.io.BinaryDecoder;
import org.apache.flink.avro.shaded.org.apache.avro.io.DecoderFactory;

/**
 * Decodes AWS Glue Schema Registry's wire format: a header version byte (3), a compression byte (0 none, 5 zlib), the
 * 16-byte id of the writer's schema version, then the Avro binary record, compressed or not. The writer schema is
 * fetched by that id ({@code glue:GetSchemaVersion}) once per version and resolved to the reader schema (the table's
 * columns) by Avro's rules.
 */
final class GlueAvroDeserializer implements DeserializationSchema<GenericRecord> {
  private static final long serialVersionUID = 1L;
  static final byte HEADER_VERSION = 3;
  static final byte COMPRESSION_NONE = 0;
  static final byte COMPRESSION_ZLIB = 5;
  static final int HEADER_BYTES = 18;
  /** A compressed record inflating past this is refused rather than allowed to exhaust the heap. */
  static final int MAX_INFLATED_BYTES = 64 << 20;
  private static final int VERSIONS_CACHED = 64;

  private final String readerSchema;
  private final GlueRegistry registry;
  private transient Schema reader;
  private transient GlueClient glue;
  private transient Map<UUID, GenericDatumReader<GenericRecord>> readers;
  private transient BinaryDecoder decoder;

  GlueAvroDeserializer(String readerSchema, GlueRegistry registry) {
    this.readerSchema = readerSchema;
    this.registry = registry;
  }

  @Override
  public void open(InitializationContext context) {
    reader = new Schema.Parser().parse(readerSchema);
    // Never closed (a DeserializationSchema has no close hook): the URL-connection client holds no threads or pool.
    glue = registry.client();
    readers = SchemaCache.lru(VERSIONS_CACHED);
  }

  @Override
  public GenericRecord deserialize(byte[] message) throws IOException {
    if (message.length < HEADER_BYTES || message[0] != HEADER_VERSION) {
      throw new IOException("not in Glue Schema Registry's wire format: "
          + (message.length < HEADER_BYTES ? message.length + " bytes, fewer than its " + HEADER_BYTES + "-byte header"
              : "header version " + message[0] + ", expected " + HEADER_VERSION));
    }
    byte compression = message[1];
    if (compression != COMPRESSION_NONE && compression != COMPRESSION_ZLIB) {
      throw new IOException("unknown compression byte " + compression + " in the Glue Schema Registry header "
          + "(0: none, 5: zlib)");
    }
    ByteBuffer header = ByteBuffer.wrap(message, 2, 16);
    UUID version = new UUID(header.getLong(), header.getLong());
    GenericDatumReader<GenericRecord> datumReader = readers.get(version);
    if (datumReader == null) {
      datumReader = new GenericDatumReader<>(writerSchema(version), reader);
      readers.put(version, datumReader);
    }
    decoder = compression == COMPRESSION_NONE
        ? DecoderFactory.get().binaryDecoder(message, HEADER_BYTES, message.length - HEADER_BYTES, decoder)
        : DecoderFactory.get().binaryDecoder(inflate(message), decoder);
    return datumReader.read(null, decoder);
  }

  private Schema writerSchema(UUID version) throws IOException {
    GetSchemaVersionResponse v;
    try {
      v = glue.getSchemaVersion(r -> r.schemaVersionId(version.toString()));
    } catch (SdkException e) {
      // RegistrySchemas.unavailable tells the two apart by the cause: Glue down, or a version it does not hold.
      throw new IOException((GlueRegistry.unavailable(e) ? "Glue did not give schema version "
          : "the Glue schema registry does not hold schema version ") + version + ": " + e.getMessage(), e);
    }
    if (v.dataFormat() != DataFormat.AVRO) {
      throw new IOException("schema version " + version + " is " + v.dataFormatAsString() + ", not Avro");
    }
    return new Schema.Parser().parse(v.schemaDefinition());
  }

  static byte[] inflate(byte[] message) throws IOException {
    try (InputStream in = new InflaterInputStream(
        new ByteArrayInputStream(message, HEADER_BYTES, message.length - HEADER_BYTES))) {
      byte[] out = in.readNBytes(MAX_INFLATED_BYTES + 1);
      if (out.length > MAX_INFLATED_BYTES) {
        throw new IOException("the zlib-compressed record inflates past " + MAX_INFLATED_BYTES + " bytes");
      }
      return out;
    }
  }

  @Override
  public boolean isEndOfStream(GenericRecord next) {
    return false;
  }

  @Override
  public TypeInformation<GenericRecord> getProducedType() {
    return new GenericRecordAvroTypeInfo(reader != null ? reader : new Schema.Parser().parse(readerSchema));
  }
}
