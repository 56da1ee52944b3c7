package io.github.streamingjob.testing.standin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Apache Iceberg's REST catalog server ({@code RESTCatalogServer}, the apache/iceberg-rest-fixture image)
 * as a process of its own: a JDBC catalog in a SQLite file, table files through S3FileIO on an
 * S3-compatible endpoint. It checks no credentials; {@link SigV4CheckingProxy} checks the signatures.
 */
public final class IcebergRestServer implements AutoCloseable {
  private final ChildJvm process;
  private final int port;

  private IcebergRestServer(ChildJvm process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts it on a free port and returns once {@code GET /v1/config} answers.
   *
   * @param catalogProperties the backing catalog's own properties (warehouse, io-impl, s3.*)
   */
  public static IcebergRestServer start(Path classpathFile, Path database, Map<String, String> catalogProperties,
      Path output) {
    int port = FlinkSessionCluster.freePort();
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("catalog-impl", "org.apache.iceberg.jdbc.JdbcCatalog");
    properties.put("uri", "jdbc:sqlite:" + database);
    properties.put("jdbc.user", "user");
    properties.put("jdbc.password", "password");
    properties.put("jdbc.strict-mode", "true");
    properties.put("rest.port", Integer.toString(port));
    properties.putAll(catalogProperties);
    Map<String, String> env = new LinkedHashMap<>();
    // The server reads CATALOG_* variables: '__' stands for '-', '_' for '.'.
    properties.forEach((k, v) -> env.put("CATALOG_" + k.replace("-", "__").replace(".", "_").toUpperCase(), v));
    try {
      String classpath = Files.readString(classpathFile).trim();
      Files.createDirectories(database.getParent());
      // INFO would print the catalog properties, secret key included.
      ChildJvm process = ChildJvm.start("iceberg-rest", List.of("-Xmx256m", "-XX:+UseSerialGC",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"), classpath, "org.apache.iceberg.rest.RESTCatalogServer",
          List.of(), env, output);
      IcebergRestServer server = new IcebergRestServer(process, port);
      server.awaitReady(Duration.ofSeconds(60));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitReady(Duration timeout) {
    process.awaitAnswer("the Iceberg REST server", HttpRequest.newBuilder(URI.create(uri() + "/v1/config")).build(),
        timeout);
  }

  public String uri() {
    return "http://127.0.0.1:" + port;
  }

  public ChildJvm process() {
    return process;
  }

  @Override
  public void close() {
    process.close();
  }
}
