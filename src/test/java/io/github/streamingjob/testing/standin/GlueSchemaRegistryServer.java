package io.github.streamingjob.testing.standin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A stand-in for the AWS Glue Schema Registry API on loopback: the calls AWS's own serializer and deserializer
 * ({@code software.amazon.glue:schema-registry-serde}) and the job make, in Glue's JSON protocol ({@code X-Amz-Target:
 * AWSGlue.<operation>}, errors as {@code __type}), with the error messages the serializer decides by ("Schema is not
 * found.", "Schema version is not found."). No Glue emulator is available here (no Docker, no PyPI), so this is ours.
 *
 * <p>What it proves: the job reads what AWS's serializer writes (wire format, compression, schema versions), asks Glue
 * the questions AWS documents, signed for the region and service (with {@link SigV4CheckingProxy} in front), and
 * handles Glue's answers and its absence. What it does not: Glue's compatibility checks (every version is accepted
 * and AVAILABLE at once), its quotas and throttling, IAM policies, and Glue's exact responses beyond these fields.
 */
public final class GlueSchemaRegistryServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final class Version {
    final UUID id;
    final String schema;
    final long number;
    final String definition;
    final String format;

    Version(UUID id, String schema, long number, String definition, String format) {
      this.id = id;
      this.schema = schema;
      this.number = number;
      this.definition = definition;
      this.format = format;
    }
  }

  private final String registry;
  private final HttpServer server;
  private final Map<String, List<Version>> schemas = new LinkedHashMap<>();
  private final Map<UUID, Version> versions = new LinkedHashMap<>();
  private final List<String> calls = new CopyOnWriteArrayList<>();

  private GlueSchemaRegistryServer(String registry) throws IOException {
    this.registry = registry;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }

  /** A server holding one (empty) registry of that name. */
  public static GlueSchemaRegistryServer start(String registry) {
    try {
      return new GlueSchemaRegistryServer(registry);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Every call so far: {@code Operation} or {@code Operation <schema version id>} for GetSchemaVersion by id. */
  public List<String> calls() {
    return List.copyOf(calls);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      JsonNode in = JSON.readTree(exchange.getRequestBody().readAllBytes());
      String op = target == null ? "" : target.substring(target.indexOf('.') + 1);
      ObjectNode out;
      try {
        synchronized (this) {
          out = answer(op, in);
        }
      } catch (GlueError e) {
        respond(exchange, 400, JSON.createObjectNode().put("__type", e.type).put("Message", e.getMessage()));
        return;
      }
      respond(exchange, 200, out);
    } finally {
      exchange.close();
    }
  }

  private ObjectNode answer(String op, JsonNode in) {
    switch (op) {
      case "GetSchemaByDefinition": {
        calls.add(op);
        Version v = schema(in.path("SchemaId")).stream()
            .filter(s -> s.definition.equals(in.path("SchemaDefinition").asText())).findFirst()
            .orElseThrow(() -> new GlueError("EntityNotFoundException", "Schema version is not found."));
        return describe(v).put("Status", "AVAILABLE");
      }
      case "CreateSchema": {
        calls.add(op);
        String name = in.path("SchemaName").asText();
        if (!registry.equals(in.path("RegistryId").path("RegistryName").asText())) {
          throw new GlueError("EntityNotFoundException", "Registry is not found.");
        }
        if (schemas.containsKey(name)) {
          throw new GlueError("AlreadyExistsException", "Schema already exists.");
        }
        Version v = add(name, in.path("SchemaDefinition").asText(), in.path("DataFormat").asText());
        return JSON.createObjectNode().put("RegistryName", registry).put("SchemaName", name)
            .put("SchemaArn", arn(name)).put("DataFormat", v.format).put("Compatibility", "BACKWARD")
            .put("SchemaStatus", "AVAILABLE").put("LatestSchemaVersion", 1).put("NextSchemaVersion", 2)
            .put("SchemaCheckpoint", 1).put("SchemaVersionId", v.id.toString()).put("SchemaVersionStatus", "AVAILABLE");
      }
      case "RegisterSchemaVersion": {
        calls.add(op);
        List<Version> all = schema(in.path("SchemaId"));
        String definition = in.path("SchemaDefinition").asText();
        Version v = all.stream().filter(s -> s.definition.equals(definition)).findFirst()
            .orElseGet(() -> add(all.get(0).schema, definition, all.get(0).format));
        return JSON.createObjectNode().put("SchemaVersionId", v.id.toString()).put("VersionNumber", v.number)
            .put("Status", "AVAILABLE");
      }
      case "GetSchemaVersion": {
        Version v;
        if (in.hasNonNull("SchemaVersionId")) {
          calls.add(op + " " + in.path("SchemaVersionId").asText());
          v = versions.get(uuid(in.path("SchemaVersionId").asText()));
        } else {
          calls.add(op + " latest");
          List<Version> all = schema(in.path("SchemaId"));
          JsonNode number = in.path("SchemaVersionNumber");
          v = number.path("LatestVersion").asBoolean(false) ? all.get(all.size() - 1)
              : all.stream().filter(s -> s.number == number.path("VersionNumber").asLong()).findFirst().orElse(null);
        }
        if (v == null) {
          throw new GlueError("EntityNotFoundException", "Schema version is not found.");
        }
        return describe(v).put("SchemaDefinition", v.definition).put("Status", "AVAILABLE")
            .put("VersionNumber", v.number).put("CreatedTime", "2026-12-01T00:00:00.000Z");
      }
      case "PutSchemaVersionMetadata":
        calls.add(op);
        return JSON.createObjectNode().put("SchemaVersionId", in.path("SchemaVersionId").asText());
      case "QuerySchemaVersionMetadata":
        calls.add(op);
        ObjectNode q = JSON.createObjectNode().put("SchemaVersionId", in.path("SchemaVersionId").asText());
        q.putObject("MetadataInfoMap");
        return q;
      default:
        calls.add(op);
        throw new GlueError("UnknownOperationException", "the stand-in does not answer '" + op + "'");
    }
  }

  private List<Version> schema(JsonNode id) {
    if (id.hasNonNull("RegistryName") && !registry.equals(id.path("RegistryName").asText())) {
      throw new GlueError("EntityNotFoundException", "Registry is not found.");
    }
    List<Version> all = schemas.get(id.path("SchemaName").asText());
    if (all == null) {
      throw new GlueError("EntityNotFoundException", "Schema is not found.");
    }
    return all;
  }

  private Version add(String schema, String definition, String format) {
    List<Version> all = schemas.computeIfAbsent(schema, k -> new ArrayList<>());
    Version v = new Version(UUID.randomUUID(), schema, all.size() + 1, definition, format);
    all.add(v);
    versions.put(v.id, v);
    return v;
  }

  private ObjectNode describe(Version v) {
    return JSON.createObjectNode().put("SchemaVersionId", v.id.toString()).put("SchemaArn", arn(v.schema))
        .put("DataFormat", v.format);
  }

  private String arn(String schema) {
    return "arn:aws:glue:us-east-1:123456789012:schema/" + registry + "/" + schema;
  }

  private static UUID uuid(String text) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw new GlueError("InvalidInputException", "SchemaVersionId is not a UUID: " + text);
    }
  }

  private static void respond(HttpExchange exchange, int status, ObjectNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
    exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static final class GlueError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String type;

    GlueError(String type, String message) {
      super(message);
      this.type = type;
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
