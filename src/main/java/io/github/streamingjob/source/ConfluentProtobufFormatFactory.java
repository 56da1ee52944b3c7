package io.github.streamingjob.source;

import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.formats.avro.registry.confluent.AvroConfluentFormatOptions;
import org.apache.flink.formats.avro.registry.confluent.RegistryAvroFormatFactory;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;

/**
 * Format {@value #IDENTIFIER}: Protobuf in Confluent's wire format (a zero byte, the 4-byte schema id, the message
 * indexes, the Protobuf payload), read against any registry that speaks Confluent's API ({@link
 * ConfluentProtobufDeserializer}). The registry options are {@code avro-confluent}'s, under the same names, so the
 * property group SchemaRegistry serves both, and the registry client is the one Flink's format carries (relocated).
 */
public final class ConfluentProtobufFormatFactory implements DeserializationFormatFactory {
  public static final String IDENTIFIER = "protobuf-confluent";

  public static final ConfigOption<String> MESSAGE = ConfigOptions.key("message").stringType().noDefaultValue()
      .withDescription("The message the columns come from, by full name (default: the schema's first message).");

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of(AvroConfluentFormatOptions.URL);
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of(AvroConfluentFormatOptions.SUBJECT, MESSAGE, AvroConfluentFormatOptions.PROPERTIES,
        AvroConfluentFormatOptions.SSL_KEYSTORE_LOCATION, AvroConfluentFormatOptions.SSL_KEYSTORE_PASSWORD,
        AvroConfluentFormatOptions.SSL_TRUSTSTORE_LOCATION, AvroConfluentFormatOptions.SSL_TRUSTSTORE_PASSWORD,
        AvroConfluentFormatOptions.BASIC_AUTH_CREDENTIALS_SOURCE, AvroConfluentFormatOptions.BASIC_AUTH_USER_INFO,
        AvroConfluentFormatOptions.BEARER_AUTH_CREDENTIALS_SOURCE, AvroConfluentFormatOptions.BEARER_AUTH_TOKEN);
  }

  @Override
  public DecodingFormat<DeserializationSchema<RowData>> createDecodingFormat(
      DynamicTableFactory.Context context, ReadableConfig options) {
    FactoryUtil.validateFactoryOptions(this, options);
    String url = options.get(AvroConfluentFormatOptions.URL);
    Map<String, String> client = RegistryAvroFormatFactory.buildOptionalPropertiesMap(options);
    return new DecodingFormat<>() {
      @Override
      public DeserializationSchema<RowData> createRuntimeDecoder(DynamicTableSource.Context ctx, DataType physical) {
        return new ConfluentProtobufDeserializer(url, client, (RowType) physical.getLogicalType(),
            ctx.createTypeInformation(physical));
      }

      @Override
      public ChangelogMode getChangelogMode() {
        return ChangelogMode.insertOnly();
      }
    };
  }
}
