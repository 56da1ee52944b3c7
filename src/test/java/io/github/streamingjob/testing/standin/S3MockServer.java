package io.github.streamingjob.testing.standin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Adobe's S3Mock, the S3-compatible server Iceberg's own AWS tests use, as a process of its own. Its
 * buckets and objects live in a directory that outlives the process, so {@link #kill()} followed by
 * {@link #restart()} is an outage of the object store, not a new one.
 */
public final class S3MockServer implements AutoCloseable {
  private final Path jar;
  private final Path root;
  private final String bucket;
  private final Path output;
  private final int port;
  private ChildJvm process;

  private S3MockServer(Path jar, Path root, String bucket, Path output, int port) {
    this.jar = jar;
    this.root = root;
    this.bucket = bucket;
    this.output = output;
    this.port = port;
  }

  /** Starts it on a free port with one bucket, and returns once it answers. */
  public static S3MockServer start(Path jar, Path root, String bucket, Path output) {
    S3MockServer server = new S3MockServer(jar, root, bucket, output, FlinkSessionCluster.freePort());
    server.restart();
    return server;
  }

  /** Starts the process (again) on the same port and directory; returns once it answers. */
  public void restart() {
    try {
      Files.createDirectories(root.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    process = ChildJvm.start("s3mock", List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dhttp.port=" + port, "-Dserver.port=0", // the HTTPS listener on any free port; the job uses HTTP
        "-Dcom.adobe.testing.s3mock.store.root=" + root,
        "-Dcom.adobe.testing.s3mock.store.retainFilesOnExit=true",
        "-Dcom.adobe.testing.s3mock.store.initialBuckets=" + bucket,
        "-Dlogging.level.root=WARN", "-Dspring.main.banner-mode=off"),
        jar.toString(), "org.springframework.boot.loader.launch.JarLauncher", List.of(), Map.of(), output);
    awaitReady(Duration.ofSeconds(60));
  }

  private void awaitReady(Duration timeout) {
    process.awaitAnswer("S3Mock", HttpRequest.newBuilder(URI.create(endpoint() + "/" + bucket))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), timeout);
  }

  /** SIGKILL: the object store is gone until {@link #restart()}. */
  public void kill() {
    process.kill();
  }

  /** Catalog properties for Iceberg's S3FileIO against this store, signing with these (unchecked) keys. */
  public java.util.Map<String, String> fileIoProperties(String accessKey, String secretKey, String region) {
    java.util.Map<String, String> p = new java.util.TreeMap<>();
    p.put("io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
    p.put("s3.endpoint", endpoint());
    p.put("s3.path-style-access", "true");
    p.put("s3.access-key-id", accessKey);
    p.put("s3.secret-access-key", secretKey);
    p.put("client.region", region);
    return p;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public String bucket() {
    return bucket;
  }

  public ChildJvm process() {
    return process;
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }
}
