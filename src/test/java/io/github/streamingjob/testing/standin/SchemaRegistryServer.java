package io.github.streamingjob.testing.standin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

/**
 * Apicurio Registry 2.6 (the Quarkus app Maven unpacks into {@link #dir()}) as a process of its own, standing in
 * for a Confluent schema registry through its Confluent-compatible API ({@code /apis/ccompat/v7}). Storage is
 * its default in-memory H2, so a restart forgets every schema. Its ids are content ids (Apicurio's default,
 * not legacy-id-mode): one schema has one id under every subject, as in Confluent's. It checks no credentials.
 */
public final class SchemaRegistryServer implements AutoCloseable {
  private static final String API = "/apis/ccompat/v7";

  private final ChildJvm process;
  private final int port;

  private SchemaRegistryServer(ChildJvm process, int port) {
    this.process = process;
    this.port = port;
  }

  /** The unpacked app: system property {@code schema.registry.dir}, set by failsafe from the pom. */
  public static Path dir() {
    return Path.of(System.getProperty("schema.registry.dir", "target/stand-ins/apicurio-registry"));
  }

  /**
   * Starts it on a free port and returns once {@code GET /apis/ccompat/v7/subjects} answers 200. Allows 120 s: it took
   * 17-25 s on this 2-core machine while busy, over 60 s when a test run shared it.
   *
   * @param appDir the unpacked archive: {@code *-runner.jar} at its root, its {@code lib/} beside it
   */
  public static SchemaRegistryServer start(Path appDir, Path output) {
    Path runner = runnerJar(appDir);
    int port = FlinkSessionCluster.freePort();
    // What `java -jar` would do: the runner's manifest names its main class and lib/*.jar (a Quarkus
    // legacy-jar), and the JVM follows that Class-Path under -cp too.
    ChildJvm process = ChildJvm.start("schema-registry", List.of("-Xmx256m", "-XX:+UseSerialGC",
        "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port), runner.toString(), mainClass(runner),
        List.of(), Map.of(), output);
    SchemaRegistryServer server = new SchemaRegistryServer(process, port);
    try {
      server.awaitReady(Duration.ofSeconds(120));
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  private static Path runnerJar(Path appDir) {
    try (DirectoryStream<Path> jars = Files.newDirectoryStream(appDir, "*-runner.jar")) {
      for (Path jar : jars) {
        return jar.toAbsolutePath();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + appDir + " (did Maven unpack the registry?)", e);
    }
    throw new IllegalStateException("no *-runner.jar in " + appDir + " (did Maven unpack the registry?)");
  }

  private static String mainClass(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      return file.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + jar, e);
    }
  }

  private void awaitReady(Duration timeout) {
    process.awaitAnswer("the schema registry", HttpRequest.newBuilder(URI.create(url() + "/subjects"))
        .timeout(Duration.ofSeconds(5)).build(), timeout);
  }

  /** The Confluent-compatible API's base, what a serializer's {@code schema.registry.url} takes. */
  public String url() {
    return "http://127.0.0.1:" + port + API;
  }

  public int port() {
    return port;
  }

  public ChildJvm process() {
    return process;
  }

  /** SIGKILL: the registry is gone, and with it every schema it held. */
  public void kill() {
    process.kill();
  }

  @Override
  public void close() {
    process.close();
  }
}
