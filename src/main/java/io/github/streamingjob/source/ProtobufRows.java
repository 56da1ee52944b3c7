package io.github.streamingjob.source;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.squareup.wire.schema.internal.parser.ProtoParser;
import io.apicurio.registry.utils.protobuf.schema.FileDescriptorUtils;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericMapData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.MapType;
import org.apache.flink.table.types.logical.RowType;

/**
 * Protobuf messages as table rows: a registry's {@code .proto} text parsed into Protobuf's own descriptors (by
 * Apicurio's utilities over Square's Wire parser), the columns a message gives, and the conversion of a parsed message
 * into Flink's internal row.
 *
 * <p>The types follow Flink's own {@code protobuf} format: 32-bit integers {@code INT}, 64-bit {@code BIGINT}, enums
 * {@code STRING} (the value's name), {@code bytes} {@code BYTES}, messages {@code ROW}, repeated fields {@code ARRAY},
 * maps {@code MAP}. Two of Google's well-known types read as what they mean: {@code google.protobuf.Timestamp} is
 * {@code TIMESTAMP(3)} (as Avro's {@code timestamp-millis} is, so a watermark can use it) and the wrappers
 * ({@code google.protobuf.StringValue}, ...) their nullable value. Every column is nullable: a field with presence (a
 * message, a proto2 or proto3 {@code optional} field) that is not set is NULL; a proto3 scalar without presence reads
 * as its default, as Protobuf itself gives it.
 */
final class ProtobufRows {
  private static final String TIMESTAMP = "google.protobuf.Timestamp";
  private static final String WRAPPERS = "google/protobuf/wrappers.proto";

  private ProtobufRows() {}

  /** A registry's schema text as a file descriptor; Google's well-known imports resolve, other imports do not. */
  static FileDescriptor parse(String protoText) {
    try {
      // Wire wants the file under its package's path, so the package is read first.
      String pkg = ProtoParser.Companion.parse(FileDescriptorUtils.DEFAULT_LOCATION, protoText).getPackageName();
      return FileDescriptorUtils.protoFileToFileDescriptor(protoText, "schema.proto", Optional.ofNullable(pkg));
    } catch (Exception e) {
      throw new IllegalArgumentException("its .proto text does not parse: " + e.getMessage(), e);
    }
  }

  /**
   * The message a record names by Confluent's message indexes: the top-level message at the first index, then nested
   * messages down the path ([0] is the file's first message).
   */
  static Descriptor message(FileDescriptor file, int[] indexes) {
    List<Descriptor> level = file.getMessageTypes();
    Descriptor d = null;
    for (int i : indexes) {
      if (i < 0 || i >= level.size()) {
        throw new IllegalArgumentException("message index " + i + " is out of range (" + level.size()
            + " messages at that level)");
      }
      d = level.get(i);
      level = d.getNestedTypes();
    }
    if (d == null) {
      throw new IllegalArgumentException("no message index");
    }
    return d;
  }

  /** A message by full name (e.g. {@code shop.Payment}), or the file's first message when the name is null. */
  static Descriptor message(FileDescriptor file, String fullName) {
    if (fullName == null) {
      if (file.getMessageTypes().isEmpty()) {
        throw new IllegalArgumentException("the schema declares no message");
      }
      return file.getMessageTypes().get(0);
    }
    String local = fullName.startsWith(file.getPackage() + ".") ? fullName.substring(file.getPackage().length() + 1)
        : fullName;
    Descriptor d = null;
    for (String part : local.split("\\.")) {
      d = d == null ? file.findMessageTypeByName(part) : d.findNestedTypeByName(part);
      if (d == null) {
        break;
      }
    }
    if (d == null) {
      throw new IllegalArgumentException("the schema declares no message '" + fullName + "'");
    }
    return d;
  }

  /** The columns of a message: one per field, by field number. */
  static RowType rowType(Descriptor message) {
    return (RowType) row(message, new HashSet<>()).getLogicalType();
  }

  private static DataType row(Descriptor message, Set<String> enclosing) {
    if (!enclosing.add(message.getFullName())) {
      throw new IllegalArgumentException("message " + message.getFullName() + " contains itself: a table's columns "
          + "cannot nest without end");
    }
    List<DataTypes.Field> fields = new ArrayList<>();
    for (FieldDescriptor f : byNumber(message)) {
      fields.add(DataTypes.FIELD(f.getName(), field(f, enclosing)));
    }
    enclosing.remove(message.getFullName());
    return DataTypes.ROW(fields.toArray(new DataTypes.Field[0]));
  }

  /**
   * A message's fields by number, which is also their declaration order in a schema written in order: the parser puts
   * proto3 {@code optional} fields last, so the declaration order it gives is not the file's.
   */
  private static List<FieldDescriptor> byNumber(Descriptor message) {
    List<FieldDescriptor> fields = new ArrayList<>(message.getFields());
    fields.sort(java.util.Comparator.comparingInt(FieldDescriptor::getNumber));
    return fields;
  }

  private static DataType field(FieldDescriptor f, Set<String> enclosing) {
    if (f.isMapField()) {
      Descriptor entry = f.getMessageType();
      return DataTypes.MAP(single(entry.findFieldByNumber(1), enclosing).notNull(),
          single(entry.findFieldByNumber(2), enclosing));
    }
    DataType t = single(f, enclosing);
    return f.isRepeated() ? DataTypes.ARRAY(t.notNull()) : t;
  }

  private static DataType single(FieldDescriptor f, Set<String> enclosing) {
    switch (f.getJavaType()) {
      case INT:
        return DataTypes.INT();
      case LONG:
        return DataTypes.BIGINT();
      case FLOAT:
        return DataTypes.FLOAT();
      case DOUBLE:
        return DataTypes.DOUBLE();
      case BOOLEAN:
        return DataTypes.BOOLEAN();
      case STRING:
      case ENUM:
        return DataTypes.STRING();
      case BYTE_STRING:
        return DataTypes.BYTES();
      case MESSAGE:
        Descriptor m = f.getMessageType();
        if (m.getFullName().equals(TIMESTAMP)) {
          return DataTypes.TIMESTAMP(3);
        }
        if (isWrapper(m)) {
          return single(m.findFieldByNumber(1), enclosing);
        }
        return row(m, enclosing);
      default:
        throw new IllegalArgumentException("field " + f.getFullName() + " has type " + f.getType()
            + ", which has no column type");
    }
  }

  private static boolean isWrapper(Descriptor m) {
    return m.getFile().getName().equals(WRAPPERS);
  }

  /**
   * Converts messages of one writer's schema into rows of {@code columns}, each column reading the field of its name.
   * A column the writer's message lacks (an older producer) is NULL; a field the columns lack is left out. A field
   * whose type the column cannot read (only the promotions {@link RegistrySchemas#reads} allows) fails the binding:
   * that writer's records are not this table's.
   */
  static final class Converter {
    private final FieldDescriptor[] fields;
    private final FieldConverter[] converters;

    Converter(RowType columns, Descriptor message) {
      List<RowType.RowField> cols = columns.getFields();
      fields = new FieldDescriptor[cols.size()];
      converters = new FieldConverter[cols.size()];
      for (int i = 0; i < fields.length; i++) {
        fields[i] = message.findFieldByName(cols.get(i).getName());
        if (fields[i] != null) {
          converters[i] = field(fields[i], cols.get(i).getType());
        }
      }
    }

    GenericRowData convert(Message m) {
      GenericRowData row = new GenericRowData(fields.length);
      for (int i = 0; i < fields.length; i++) {
        row.setField(i, fields[i] == null ? null : read(m, fields[i], converters[i]));
      }
      return row;
    }

    private static Object read(Message m, FieldDescriptor f, FieldConverter c) {
      if (!f.isRepeated() && f.hasPresence() && !m.hasField(f)) {
        return null;
      }
      return c.convert(m.getField(f));
    }

    private static FieldConverter field(FieldDescriptor f, LogicalType column) {
      if (f.isMapField()) {
        if (!(column instanceof MapType)) {
          throw mismatch(f, column);
        }
        Descriptor entry = f.getMessageType();
        FieldDescriptor kf = entry.findFieldByNumber(1);
        FieldDescriptor vf = entry.findFieldByNumber(2);
        FieldConverter k = single(kf, ((MapType) column).getKeyType());
        FieldConverter v = single(vf, ((MapType) column).getValueType());
        return value -> {
          Map<Object, Object> map = new LinkedHashMap<>();
          for (Object e : (List<?>) value) {
            Message entryMessage = (Message) e;
            map.put(k.convert(entryMessage.getField(kf)), read(entryMessage, vf, v));
          }
          return new GenericMapData(map);
        };
      }
      if (f.isRepeated()) {
        if (!(column instanceof ArrayType)) {
          throw mismatch(f, column);
        }
        FieldConverter one = single(f, ((ArrayType) column).getElementType());
        return value -> {
          List<?> list = (List<?>) value;
          Object[] out = new Object[list.size()];
          for (int i = 0; i < out.length; i++) {
            out[i] = one.convert(list.get(i));
          }
          return new GenericArrayData(out);
        };
      }
      return single(f, column);
    }

    private static FieldConverter single(FieldDescriptor f, LogicalType column) {
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        Descriptor m = f.getMessageType();
        if (m.getFullName().equals(TIMESTAMP)) {
          FieldDescriptor seconds = m.findFieldByNumber(1);
          FieldDescriptor nanos = m.findFieldByNumber(2);
          check(f, DataTypes.TIMESTAMP(3).getLogicalType(), column);
          return value -> {
            Message t = (Message) value;
            return TimestampData.fromEpochMillis(Math.addExact(Math.multiplyExact((long) t.getField(seconds), 1000L),
                (int) t.getField(nanos) / 1_000_000));
          };
        }
        if (isWrapper(m)) {
          FieldDescriptor inner = m.findFieldByNumber(1);
          FieldConverter c = single(inner, column);
          return value -> c.convert(((Message) value).getField(inner));
        }
        if (!(column instanceof RowType)) {
          throw mismatch(f, column);
        }
        Converter nested = new Converter((RowType) column, m);
        return value -> nested.convert((Message) value);
      }
      LogicalType own = ProtobufRows.single(f, new HashSet<>()).getLogicalType();
      check(f, own, column);
      FieldConverter raw;
      switch (f.getJavaType()) {
        case STRING:
          raw = value -> StringData.fromString((String) value);
          break;
        case ENUM:
          raw = value -> StringData.fromString(((EnumValueDescriptor) value).getName());
          break;
        case BYTE_STRING:
          raw = value -> ((ByteString) value).toByteArray();
          break;
        default:
          raw = value -> value;
      }
      return promote(own.getTypeRoot(), column.getTypeRoot(), raw);
    }

    /** Avro's promotions, as {@link RegistrySchemas#reads} allows them for a column given in source_schema. */
    private static FieldConverter promote(LogicalTypeRoot from, LogicalTypeRoot to, FieldConverter raw) {
      if (from == to) {
        return raw;
      }
      switch (to) {
        case BIGINT:
          return value -> ((Number) raw.convert(value)).longValue();
        case FLOAT:
          return value -> ((Number) raw.convert(value)).floatValue();
        case DOUBLE:
          return value -> ((Number) raw.convert(value)).doubleValue();
        case VARBINARY:
          return value -> ((StringData) raw.convert(value)).toBytes();
        case VARCHAR:
          return value -> StringData.fromBytes((byte[]) raw.convert(value));
        default:
          throw new IllegalStateException(from + " to " + to);
      }
    }

    private static void check(FieldDescriptor f, LogicalType own, LogicalType column) {
      if (!RegistrySchemas.reads(own.copy(true), column.copy(true))) {
        throw mismatch(f, column);
      }
    }

    private static IllegalArgumentException mismatch(FieldDescriptor f, LogicalType column) {
      String type = f.isMapField() ? "map" : (f.isRepeated() ? "repeated " : "") + (f.getJavaType()
          == FieldDescriptor.JavaType.MESSAGE ? f.getMessageType().getFullName() : f.getType().name().toLowerCase());
      return new IllegalArgumentException("field '" + f.getName() + "' is " + type + ", which column type "
          + column.asSummaryString() + " cannot read");
    }
  }

  @FunctionalInterface
  private interface FieldConverter {
    Object convert(Object value);
  }

  /** Parses a payload as {@code message}: Protobuf's own rules read an older or newer writer's fields by number. */
  static DynamicMessage decode(Descriptor message, byte[] bytes, int offset, int length)
      throws java.io.IOException {
    return DynamicMessage.newBuilder(message).mergeFrom(
        com.google.protobuf.CodedInputStream.newInstance(bytes, offset, length)).build();
  }
}
