package io.github.streamingjob.testing.standin;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import io.apicurio.registry.utils.protobuf.schema.FileDescriptorUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serializes payments with a Protobuf registry serializer that writes Confluent's wire format (Apicurio's 3.x
 * serializer: type reference off, message indexes on; it registers the schema itself, under the subject
 * {@code <topic>-value}), one Base64 line per record. A process of its own: the serializer is built for Java 17 and
 * brings Protobuf 4, neither of which the job's test class path may have (src/test/stand-ins/protobuf-serializer).
 *
 * <p>Arguments: the registry's Apicurio v2 API address, the topic, the .proto file, the message's name in it, the
 * first payment's number, how many, the output file.
 */
public final class ProtobufSerializerMain {
  private ProtobufSerializerMain() {}

  public static void main(String[] args) throws Exception {
    String proto = Files.readString(Path.of(args[2]));
    String pkg = com.squareup.wire.schema.internal.parser.ProtoParser.Companion
        .parse(FileDescriptorUtils.DEFAULT_LOCATION, proto).getPackageName();
    Descriptor message = FileDescriptorUtils.protoFileToFileDescriptor(proto, "payment.proto",
        Optional.ofNullable(pkg)).findMessageTypeByName(args[3]);
    @SuppressWarnings("unchecked")
    Serializer<Object> serializer = (Serializer<Object>) Class.forName(
        "io.apicurio.registry.serde.protobuf.ProtobufKafkaSerializer").getDeclaredConstructor().newInstance();
    serializer.configure(Map.of("apicurio.registry.url", args[0], "apicurio.registry.auto-register", "true",
        "apicurio.registry.serde.send-type-ref", "false", "apicurio.registry.serde.send-indexes", "true"), false);
    int first = Integer.parseInt(args[4]);
    List<String> lines = new ArrayList<>();
    for (int i = first; i < first + Integer.parseInt(args[5]); i++) {
      DynamicMessage.Builder b = DynamicMessage.newBuilder(message);
      Payments.payment(i, (k, v) -> b.setField(message.findFieldByName(k), v));
      lines.add(Base64.getEncoder().encodeToString(serializer.serialize(args[1], b.build())));
    }
    Files.write(Path.of(args[6]), lines, StandardCharsets.UTF_8);
    serializer.close();
  }

  /** The fields of payment p{i}, as every registry test writes them. */
  public static final class Payments {
    private Payments() {}

    public static void payment(int i, java.util.function.BiConsumer<String, Object> put) {
      put.accept("payment_id", "p" + i);
      put.accept("user_id", (long) (i % 7));
      put.accept("amount", i + 0.5);
      put.accept("currency", i % 5 == 0 ? "EUR" : "USD");
      put.accept("timestamp_ms", 1_704_067_200_000L + i * 1000L);
    }
  }
}
