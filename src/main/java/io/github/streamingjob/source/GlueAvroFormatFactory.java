package io.github.streamingjob.source;

import java.util.Set;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.formats.avro.AvroRowDataDeserializationSchema;
import org.apache.flink.formats.avro.AvroToRowDataConverters;
import org.apache.flink.formats.avro.typeutils.AvroSchemaConverter;
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
 * Format {@value #IDENTIFIER}: Avro as AWS Glue Schema Registry's serializer writes it. Each record's header names its
 * writer's schema version ({@link GlueAvroDeserializer}); that schema is read from Glue once per version and resolved
 * to the table's columns by Avro's rules, so a producer's newer compatible version is read without a restart. Flink's
 * own Avro converters make the rows, as for {@code avro-confluent}.
 *
 * <p>Why not AWS's deserializer ({@code schema-registry-serde}): for Avro it does exactly this (the header, one
 * {@code GetSchemaVersion} per version, zlib), but it brings Kotlin, Wire, Protobuf, JSON-schema libraries and a second
 * AWS SDK into the JAR, and parts of it are built for Java 17 where the Flink 1.20 line runs on 11. The tests write
 * every record with AWS's serializer, so the two are checked to agree.
 */
public final class GlueAvroFormatFactory implements DeserializationFormatFactory {
  public static final String IDENTIFIER = "avro-glue";

  public static final ConfigOption<String> REGISTRY_NAME = ConfigOptions.key("registry.name").stringType()
      .noDefaultValue().withDescription("The Glue schema registry holding the topic's schema.");
  public static final ConfigOption<String> SCHEMA_NAME = ConfigOptions.key("schema.name").stringType()
      .noDefaultValue().withDescription("The schema's name in the registry (default: the topic's name, as AWS's "
          + "serializer names it).");
  public static final ConfigOption<String> REGION = ConfigOptions.key("region").stringType().noDefaultValue()
      .withDescription("The registry's AWS region (default: the runtime's, e.g. AWS_REGION).");
  public static final ConfigOption<String> ENDPOINT = ConfigOptions.key("endpoint").stringType().noDefaultValue()
      .withDescription("Glue's endpoint, e.g. a VPC endpoint (default: the region's).");

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of(REGISTRY_NAME);
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of(SCHEMA_NAME, REGION, ENDPOINT);
  }

  @Override
  public DecodingFormat<DeserializationSchema<RowData>> createDecodingFormat(
      DynamicTableFactory.Context context, ReadableConfig options) {
    FactoryUtil.validateFactoryOptions(this, options);
    GlueRegistry glue = new GlueRegistry(options.getOptional(REGION).orElse(null),
        options.getOptional(ENDPOINT).orElse(null));
    return new DecodingFormat<>() {
      @Override
      public DeserializationSchema<RowData> createRuntimeDecoder(DynamicTableSource.Context ctx, DataType physical) {
        RowType row = (RowType) physical.getLogicalType();
        // The reader schema: the columns as Avro, the same schema Flink's avro formats read into.
        String reader = AvroSchemaConverter.convertToSchema(row).toString();
        return new AvroRowDataDeserializationSchema(new GlueAvroDeserializer(reader, glue),
            AvroToRowDataConverters.createRowConverter(row), ctx.createTypeInformation(physical));
      }

      @Override
      public ChangelogMode getChangelogMode() {
        return ChangelogMode.insertOnly();
      }
    };
  }
}
