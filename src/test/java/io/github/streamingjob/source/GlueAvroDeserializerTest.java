package io.github.streamingjob.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The checks of Glue's wire format that come before any call to Glue (the rest, with records written by AWS's own
 * serializer, is GlueSchemaRegistryITCase's).
 */
class GlueAvroDeserializerTest {
  /** Never asked: every record here fails before the writer schema is needed. */
  static final GlueAvroDeserializer DECODER = new GlueAvroDeserializer(
      "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"}]}",
      new GlueRegistry("eu-west-1", "http://127.0.0.1:9"));

  @Test
  void aRecordNotInGluesFormatIsRefusedWithWhatIsWrong() {
    assertThatThrownBy(() -> DECODER.deserialize(new byte[] {3, 0, 1, 2})).isInstanceOf(IOException.class)
        .hasMessage("not in Glue Schema Registry's wire format: 4 bytes, fewer than its 18-byte header");
    byte[] confluent = new byte[24];
    assertThatThrownBy(() -> DECODER.deserialize(confluent)).isInstanceOf(IOException.class)
        .hasMessage("not in Glue Schema Registry's wire format: header version 0, expected 3");
  }

  @Test
  void zlibPayloadsInflateAndABombIsRefused() throws IOException {
    byte[] payload = "a payload, compressed as AWS's serializer does".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(GlueAvroDeserializer.inflate(framed(payload))).isEqualTo(payload);

    byte[] huge = new byte[GlueAvroDeserializer.MAX_INFLATED_BYTES + 1];
    byte[] bomb = framed(huge);
    assertThat(bomb.length).isLessThan(1 << 20);
    assertThatThrownBy(() -> GlueAvroDeserializer.inflate(bomb)).isInstanceOf(IOException.class)
        .hasMessageContaining("inflates past " + GlueAvroDeserializer.MAX_INFLATED_BYTES + " bytes");
  }

  /** An 18-byte header (version 3, zlib, a version id of zeros), then the zlib-compressed payload. */
  static byte[] framed(byte[] payload) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(GlueAvroDeserializer.HEADER_VERSION);
    out.write(GlueAvroDeserializer.COMPRESSION_ZLIB);
    out.write(new byte[16]);
    try (DeflaterOutputStream zlib = new DeflaterOutputStream(out)) {
      zlib.write(payload);
    }
    return out.toByteArray();
  }

  @Test
  void anUnknownCompressionByteIsTheRecordsFault() {
    byte[] record = new byte[20];
    record[0] = GlueAvroDeserializer.HEADER_VERSION;
    record[1] = 9;
    assertThatThrownBy(() -> DECODER.deserialize(record)).isInstanceOf(IOException.class)
        .hasMessage("unknown compression byte 9 in the Glue Schema Registry header (0: none, 5: zlib)");
  }
}
