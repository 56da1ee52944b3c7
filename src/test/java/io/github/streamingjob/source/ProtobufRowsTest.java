package io.github.streamingjob.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Timestamp;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.utils.LogicalTypeParser;
import org.junit.jupiter.api.Test;

/** A registry's .proto text as columns, and messages as rows: every kind of field, writers older and newer. */
class ProtobufRowsTest {
  static final String ORDER = "syntax = \"proto3\";\npackage shop;\n"
      + "import \"google/protobuf/timestamp.proto\";\nimport \"google/protobuf/wrappers.proto\";\n\n"
      + "message Envelope {\n  string id = 1;\n}\n"
      + "message Order {\n"
      + "  enum Status { NEW = 0; PAID = 1; }\n"
      + "  message Line { string sku = 1; int32 quantity = 2; }\n"
      + "  string order_id = 1;\n  int64 user_id = 2;\n  double total = 3;\n  bool gift = 4;\n"
      + "  Status status = 5;\n  bytes signature = 6;\n  google.protobuf.Timestamp placed_at = 7;\n"
      + "  google.protobuf.StringValue note = 8;\n  repeated Line lines = 9;\n  map<string, int32> tags = 10;\n"
      + "  optional string coupon = 11;\n  uint32 items = 12;\n  float weight = 13;\n}\n";

  static final FileDescriptor FILE = ProtobufRows.parse(ORDER);
  static final Descriptor ORDER_MESSAGE = ProtobufRows.message(FILE, new int[] {1});

  @Test
  void theColumnsFollowFlinksProtobufTypesWithTimestampsAndWrappersReadAsWhatTheyMean() {
    assertThat(ProtobufRows.message(FILE, (String) null).getFullName()).isEqualTo("shop.Envelope");
    assertThat(ProtobufRows.message(FILE, "shop.Order")).isSameAs(ORDER_MESSAGE);
    assertThat(ProtobufRows.message(FILE, "shop.Order.Line").getFullName()).isEqualTo("shop.Order.Line");
    assertThat(ProtobufRows.message(FILE, new int[] {1, 0}).getFullName()).isEqualTo("shop.Order.Line");
    assertThat(ProtobufRows.rowType(ORDER_MESSAGE).asSummaryString()).isEqualTo("ROW<`order_id` STRING, "
        + "`user_id` BIGINT, `total` DOUBLE, `gift` BOOLEAN, `status` STRING, `signature` BYTES, "
        + "`placed_at` TIMESTAMP(3), `note` STRING, `lines` ARRAY<ROW<`sku` STRING, `quantity` INT> NOT NULL>, "
        + "`tags` MAP<STRING NOT NULL, INT>, `coupon` STRING, `items` INT, `weight` FLOAT>");
  }

  @Test
  void aMessageBecomesARowAndUnsetFieldsWithPresenceAreNull() {
    Descriptor line = ORDER_MESSAGE.findNestedTypeByName("Line");
    DynamicMessage order = DynamicMessage.newBuilder(ORDER_MESSAGE)
        .setField(field("order_id"), "o1").setField(field("user_id"), 7L).setField(field("total"), 12.5)
        .setField(field("gift"), true)
        .setField(field("status"), ORDER_MESSAGE.findEnumTypeByName("Status").findValueByName("PAID"))
        .setField(field("signature"), ByteString.copyFromUtf8("sig"))
        .setField(field("placed_at"), Timestamp.newBuilder().setSeconds(1_704_067_200L).setNanos(123_456_789).build())
        .addRepeatedField(field("lines"), DynamicMessage.newBuilder(line).setField(line.findFieldByName("sku"), "a")
            .setField(line.findFieldByName("quantity"), 2).build())
        .setField(field("items"), -1) // uint32 4294967295: Flink's protobuf format reads it as INT, too
        .build();
    // tags: a map field is a repeated entry message
    Descriptor entry = field("tags").getMessageType();
    order = order.toBuilder().addRepeatedField(field("tags"), DynamicMessage.newBuilder(entry)
        .setField(entry.findFieldByNumber(1), "k").setField(entry.findFieldByNumber(2), 3).build()).build();

    RowType columns = ProtobufRows.rowType(ORDER_MESSAGE);
    GenericRowData row = new ProtobufRows.Converter(columns, ORDER_MESSAGE).convert(order);
    assertThat(row.getString(0).toString()).isEqualTo("o1");
    assertThat(row.getLong(1)).isEqualTo(7L);
    assertThat(row.getDouble(2)).isEqualTo(12.5);
    assertThat(row.getBoolean(3)).isTrue();
    assertThat(row.getString(4).toString()).isEqualTo("PAID");
    assertThat(row.getBinary(5)).isEqualTo("sig".getBytes());
    assertThat(row.getTimestamp(6, 3).getMillisecond()).isEqualTo(1_704_067_200_123L);
    assertThat(row.isNullAt(7)).as("an unset wrapper").isTrue();
    RowData firstLine = row.getArray(8).getRow(0, 2);
    assertThat(firstLine.getString(0).toString()).isEqualTo("a");
    assertThat(firstLine.getInt(1)).isEqualTo(2);
    MapData tags = row.getMap(9);
    assertThat(tags.size()).isEqualTo(1);
    assertThat(tags.keyArray().getString(0).toString()).isEqualTo("k");
    assertThat(tags.valueArray().getInt(0)).isEqualTo(3);
    assertThat(row.isNullAt(10)).as("an unset proto3 optional field").isTrue();
    assertThat(row.getInt(11)).isEqualTo(-1);
    assertThat(row.getFloat(12)).as("a proto3 scalar without presence reads as its default").isEqualTo(0f);
  }

  @Test
  void anOlderWriterLeavesItsMissingColumnsNullAndAWriterOfAnotherTypeIsRefusedNamingTheField() throws Exception {
    RowType columns = (RowType) LogicalTypeParser.parse(
        "ROW<order_id STRING, user_id BIGINT, channel STRING>", getClass().getClassLoader());
    Descriptor older = ProtobufRows.message(ProtobufRows.parse(
        "syntax = \"proto3\";\nmessage Order {\n  string order_id = 1;\n  int32 user_id = 2;\n}\n"), (String) null);
    DynamicMessage m = DynamicMessage.newBuilder(older).setField(older.findFieldByName("order_id"), "o2")
        .setField(older.findFieldByName("user_id"), 9).build();
    GenericRowData row = new ProtobufRows.Converter(columns, older).convert(
        ProtobufRows.decode(older, m.toByteArray(), 0, m.getSerializedSize()));
    assertThat(row.getString(0).toString()).isEqualTo("o2");
    assertThat(row.getLong(1)).as("int32 promoted to BIGINT").isEqualTo(9L);
    assertThat(row.isNullAt(2)).isTrue();

    Descriptor other = ProtobufRows.message(ProtobufRows.parse(
        "syntax = \"proto3\";\nmessage Order {\n  string order_id = 1;\n  repeated string user_id = 2;\n}\n"),
        (String) null);
    assertThatThrownBy(() -> new ProtobufRows.Converter(columns, other))
        .hasMessage("field 'user_id' is repeated string, which column type BIGINT cannot read");
  }

  @Test
  void confluentsMessageIndexesInBothEncodingsAndBrokenOnesRefused() throws IOException {
    // Confluent's serializer writes [0] as one zero byte; others write it as count 1, index 0.
    assertThat(ConfluentProtobufDeserializer.indexes(ByteBuffer.wrap(new byte[] {0}))).containsExactly(0);
    assertThat(ConfluentProtobufDeserializer.indexes(ByteBuffer.wrap(new byte[] {2, 0}))).containsExactly(0);
    assertThat(ConfluentProtobufDeserializer.indexes(ByteBuffer.wrap(new byte[] {4, 2, 0}))).containsExactly(1, 0);
    assertThatThrownBy(() -> ConfluentProtobufDeserializer.indexes(ByteBuffer.wrap(new byte[] {4, 2})))
        .hasMessage("the message indexes end early");
    assertThatThrownBy(() -> ConfluentProtobufDeserializer.indexes(ByteBuffer.wrap(new byte[] {(byte) 200, 1})))
        .hasMessage("message index count 100 is out of range");
    assertThatThrownBy(() -> ProtobufRows.message(FILE, new int[] {2}))
        .hasMessage("message index 2 is out of range (2 messages at that level)");
    // Records not in the framing at all: refused before the registry is asked (none is reachable here).
    ConfluentProtobufDeserializer d = new ConfluentProtobufDeserializer("http://127.0.0.1:9", null,
        ProtobufRows.rowType(ORDER_MESSAGE), null);
    assertThatThrownBy(() -> d.deserialize(new byte[] {1, 0, 0, 0, 1, 0})).isInstanceOf(IOException.class)
        .hasMessage("not in Confluent's wire format: magic byte 1, expected 0");
    assertThatThrownBy(() -> d.deserialize(new byte[] {0, 0, 1})).isInstanceOf(IOException.class)
        .hasMessage("not in Confluent's wire format: 3 bytes, fewer than its 6-byte minimum");
  }

  @Test
  void aSchemaThatIsNotProtobufOrNestsWithoutEndIsRefused() {
    assertThatThrownBy(() -> ProtobufRows.parse("message {")).hasMessageStartingWith(
        "its .proto text does not parse: ");
    Descriptor tree = ProtobufRows.message(ProtobufRows.parse(
        "syntax = \"proto3\";\nmessage Node {\n  string name = 1;\n  repeated Node children = 2;\n}\n"),
        (String) null);
    assertThatThrownBy(() -> ProtobufRows.rowType(tree)).hasMessage(
        "message Node contains itself: a table's columns cannot nest without end");
  }

  private static com.google.protobuf.Descriptors.FieldDescriptor field(String name) {
    return ORDER_MESSAGE.findFieldByName(name);
  }
}
