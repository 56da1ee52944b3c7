package io.github.streamingjob.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.table.utils.EncodingUtils;

/** Writes runtime properties in MSF's JSON shape, for tests and local tools. */
public final class PropertiesFile {
  private final Map<String, Map<String, String>> groups = new LinkedHashMap<>();

  /** Plaintext Kafka and a Hadoop catalog in a local directory: what tests run against. */
  public static PropertiesFile local(String bootstrapServers, Path warehouse, String namespace) {
    return new PropertiesFile()
        .set("KafkaSource", "bootstrap.servers", bootstrapServers)
        .set("IcebergCatalog", "type", "hadoop")
        .set("IcebergCatalog", "warehouse", warehouse.toUri().toString())
        .set("IcebergCatalog", "namespace", namespace);
  }

  /**
   * Kafka and an Iceberg REST catalog whose files are in an object store, {@code fileIo} being the catalog's file-IO
   * properties (each set as {@code iceberg.<key>}). One REST client retry: Iceberg's default (5 with backoff, inside
   * each of the committer's attempts) holds a job minutes in a catalog outage before it fails over, and the fault
   * tests check the recovery, which is the same.
   */
  public static PropertiesFile restCatalog(String bootstrapServers, String uri, String warehouse, String namespace,
      Map<String, String> fileIo) {
    PropertiesFile p = new PropertiesFile()
        .set("KafkaSource", "bootstrap.servers", bootstrapServers)
        .set("IcebergCatalog", "type", "rest")
        .set("IcebergCatalog", "uri", uri)
        .set("IcebergCatalog", "warehouse", warehouse)
        .set("IcebergCatalog", "namespace", namespace)
        .set("IcebergCatalog", "iceberg.rest.client.max-retries", "1");
    fileIo.forEach((k, v) -> p.set("IcebergCatalog", "iceberg." + k, v));
    return p;
  }

  public PropertiesFile set(String group, String key, String value) {
    groups.computeIfAbsent(group, g -> new LinkedHashMap<>()).put(key, value);
    return this;
  }

  public Path writeTo(Path file) {
    String json = groups.entrySet().stream()
        .map(g -> "{\"PropertyGroupId\":" + quote(g.getKey()) + ",\"PropertyMap\":{" + g.getValue().entrySet().stream()
            .map(e -> quote(e.getKey()) + ":" + quote(e.getValue())).collect(Collectors.joining(",")) + "}}")
        .collect(Collectors.joining(",\n ", "[", "]\n"));
    try {
      return Files.writeString(file, json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String quote(String s) {
    return "\"" + EncodingUtils.escapeJava(s) + "\"";
  }
}
