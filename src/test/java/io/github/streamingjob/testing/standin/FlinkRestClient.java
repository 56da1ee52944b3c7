package io.github.streamingjob.testing.standin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Flink's REST API as {@code flink run} and the web UI use it: upload a JAR, run it, watch the job and
 * its checkpoints, cancel it. Nothing here reaches into the cluster's processes.
 */
public final class FlinkRestClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  /**
   * How long main() may take on the JobManager (the job planned, its tables created, the job submitted): seconds on
   * an idle machine, minutes on a 2-core one running two builds (3 min were once not enough). Flink's own limit for
   * the request, web.timeout, is 10 min.
   */
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public FlinkRestClient(String host, int port) {
    this.base = URI.create("http://" + host + ":" + port + "/");
  }

  public URI base() {
    return base;
  }

  /** {@code POST /jars/upload}: the id the JAR is run under. */
  public String uploadJar(Path jar) {
    String boundary = "----flink-upload-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try {
      body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
          + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      body.write(Files.readAllBytes(jar));
      body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JsonNode response = send(HttpRequest.newBuilder(base.resolve("jars/upload"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())), Duration.ofSeconds(60));
    String file = response.path("filename").asText();
    if (!"success".equals(response.path("status").asText()) || file.isEmpty()) {
      throw new IllegalStateException("upload of " + jar + " refused: " + response);
    }
    return Path.of(file).getFileName().toString();
  }

  /** {@code POST /jars/{id}/run}: runs the JAR's main class with these arguments; the job id. */
  public String runJar(String jarId, List<String> programArgs, String savepointPath) {
    return runJar(jarId, programArgs, savepointPath, false);
  }

  /**
   * As {@link #runJar(String, List, String)}; {@code allowNonRestoredState} is {@code flink run
   * --allowNonRestoredState}: savepoint state of operators the new job does not have is dropped.
   */
  public String runJar(String jarId, List<String> programArgs, String savepointPath, boolean allowNonRestoredState) {
    ObjectNode request = JSON.createObjectNode();
    if (allowNonRestoredState) {
      request.put("allowNonRestoredState", true);
    }
    request.putArray("programArgsList").addAll(programArgs.stream().map(JSON.getNodeFactory()::textNode)
        .collect(java.util.stream.Collectors.toList()));
    if (savepointPath != null) {
      request.put("savepointPath", savepointPath);
    }
    JsonNode response = send(HttpRequest.newBuilder(base.resolve("jars/" + jarId + "/run"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(request.toString())), RUN_TIMEOUT);
    String jobId = response.path("jobid").asText();
    if (jobId.isEmpty()) {
      throw new IllegalStateException("run of " + jarId + " gave no job id: " + response);
    }
    return jobId;
  }

  /**
   * {@code POST /jobs/{id}/stop}, what {@code flink stop --savepointPath} does: a savepoint, then the job
   * finishes. With {@code drain} the sources first emit the final watermark, so every open window fires.
   * Waits for the savepoint and returns its location.
   */
  public String stopWithSavepoint(String jobId, Path targetDirectory, boolean drain, Duration timeout) {
    ObjectNode request = JSON.createObjectNode();
    request.put("targetDirectory", targetDirectory.toUri().toString());
    request.put("drain", drain);
    String trigger = send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "/stop"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(request.toString())), Duration.ofSeconds(30))
        .path("request-id").asText();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode status = get("jobs/" + jobId + "/savepoints/" + trigger);
      if ("COMPLETED".equals(status.path("status").path("id").asText())) {
        JsonNode operation = status.path("operation");
        if (operation.has("failure-cause")) {
          throw new IllegalStateException("stop-with-savepoint of " + jobId + " failed: "
              + operation.path("failure-cause").path("stack-trace").asText().lines().findFirst().orElse(""));
        }
        return operation.path("location").asText();
      }
      FlinkSessionCluster.sleep(200);
    }
    throw new IllegalStateException("stop-with-savepoint of " + jobId + " not done within " + timeout);
  }

  /** {@code GET /jobs/{id}}: state, vertices, timestamps. */
  public JsonNode job(String jobId) {
    return get("jobs/" + jobId);
  }

  public String jobState(String jobId) {
    return job(jobId).path("state").asText();
  }

  /** RUNNING with every task RUNNING: the job has (re)started and its sources are reading. */
  public boolean allTasksRunning(String jobId) {
    JsonNode job = job(jobId);
    if (!"RUNNING".equals(job.path("state").asText())) {
      return false;
    }
    for (JsonNode vertex : job.path("vertices")) {
      if (!"RUNNING".equals(vertex.path("status").asText())) {
        return false;
      }
    }
    return true;
  }

  /** {@code GET /jobs/{id}/checkpoints}: counts, latest completed and restored. */
  public JsonNode checkpoints(String jobId) {
    return get("jobs/" + jobId + "/checkpoints");
  }

  public long completedCheckpoints(String jobId) {
    return checkpoints(jobId).path("counts").path("completed").asLong();
  }

  /** The job's {@code numRestarts} metric. */
  public long restarts(String jobId) {
    for (JsonNode metric : get("jobs/" + jobId + "/metrics?get=numRestarts")) {
      return metric.path("value").asLong();
    }
    return 0;
  }

  /** {@code GET /jobs/{id}/exceptions}: the failure history, for messages. */
  public JsonNode exceptions(String jobId) {
    return get("jobs/" + jobId + "/exceptions");
  }

  /** {@code GET /taskmanagers}: how many TaskManagers are registered. */
  public int taskManagers() {
    return get("taskmanagers").path("taskmanagers").size();
  }

  /** {@code PATCH /jobs/{id}?mode=cancel}. */
  public void cancel(String jobId) {
    send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel"))
        .method("PATCH", HttpRequest.BodyPublishers.noBody()), Duration.ofSeconds(30));
  }

  /**
   * The offset the job's Kafka sources last read in a partition (the connector's {@code currentOffset} gauge, as
   * the web UI shows it, refreshed every few seconds), or -1 before one is reported: how far a job has read,
   * committed or not.
   */
  public long kafkaCurrentOffset(String jobId, String topic, int partition) {
    String suffix = ".KafkaSourceReader.topic." + topic + ".partition." + partition + ".currentOffset";
    long max = -1;
    for (JsonNode vertex : job(jobId).path("vertices")) {
      String path = "jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/subtasks/metrics";
      for (JsonNode metric : get(path)) {
        String id = metric.path("id").asText();
        if (id.endsWith(suffix)) {
          for (JsonNode value : get(path + "?get=" + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8))) {
            max = Math.max(max, (long) value.path("max").asDouble(-1));
          }
        }
      }
    }
    return max;
  }

  public JsonNode get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET(), Duration.ofSeconds(30));
  }

  /** Flink's error body without the stack frames: each error's message and its causes. */
  static String errors(String body) {
    try {
      StringBuilder out = new StringBuilder();
      for (JsonNode error : JSON.readTree(body).path("errors")) {
        error.asText().lines().filter(l -> !l.startsWith("\tat ") && !l.startsWith("\t... "))
            .forEach(l -> out.append("\n  ").append(l));
      }
      return out.length() == 0 ? body : out.toString();
    } catch (IOException e) {
      return body;
    }
  }

  private JsonNode send(HttpRequest.Builder request, Duration timeout) {
    try {
      HttpResponse<String> response = http.send(request.timeout(timeout).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      if (response.statusCode() / 100 != 2) {
        throw new IllegalStateException(response.request().method() + " " + response.request().uri() + ": HTTP "
            + response.statusCode() + " " + errors(response.body()));
      }
      return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
