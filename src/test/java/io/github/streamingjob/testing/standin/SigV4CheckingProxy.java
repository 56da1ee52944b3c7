package io.github.streamingjob.testing.standin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An HTTP proxy on loopback in front of the REST catalog that checks what S3 Tables' Iceberg endpoint
 * checks: every request carries an AWS Signature Version 4 whose signature, recomputed here from the
 * request and the secret key (per the SigV4 specification, not with the client's own code), matches,
 * for the expected access key, region and service. It forwards every request and records the verdict.
 */
public final class SigV4CheckingProxy implements AutoCloseable {
  private static final Pattern AUTHORIZATION = Pattern.compile(
      "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})");
  private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "expect", "host", "upgrade",
      "transfer-encoding");

  /** One request as the proxy saw it: {@code verdict} is "signed" or what is wrong with its signature. */
  public static final class Seen {
    public final String method;
    public final String path;
    public final String verdict;

    Seen(String method, String path, String verdict) {
      this.method = method;
      this.path = path;
      this.verdict = verdict;
    }

    @Override
    public String toString() {
      return method + " " + path + ": " + verdict;
    }
  }

  private final HttpServer server;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI target;
  private final String accessKey;
  private final String secretKey;
  private final String region;
  private final String service;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();

  private SigV4CheckingProxy(URI target, String accessKey, String secretKey, String region, String service)
      throws IOException {
    this.target = target;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.region = region;
    this.service = service;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
  }

  public static SigV4CheckingProxy start(String target, String accessKey, String secretKey, String region,
      String service) {
    try {
      return new SigV4CheckingProxy(URI.create(target), accessKey, secretKey, region, service);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String uri() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Every request forwarded so far, with its verdict. */
  public List<Seen> seen() {
    return List.copyOf(seen);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      byte[] body = exchange.getRequestBody().readAllBytes();
      URI uri = exchange.getRequestURI();
      seen.add(new Seen(exchange.getRequestMethod(), uri.getRawPath(), verdict(exchange, body)));
      HttpRequest.Builder forward = HttpRequest.newBuilder(target.resolve(uri.getRawPath()
          + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())))
          .timeout(Duration.ofSeconds(60))
          .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      exchange.getRequestHeaders().forEach((name, values) -> {
        if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
          values.forEach(v -> forward.header(name, v));
        }
      });
      HttpResponse<byte[]> response;
      try {
        response = http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        exchange.sendResponseHeaders(502, -1);
        return;
      }
      response.headers().map().forEach((name, values) -> {
        if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
          exchange.getResponseHeaders().put(name, values);
        }
      });
      byte[] out = response.body();
      exchange.sendResponseHeaders(response.statusCode(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream os = exchange.getResponseBody()) {
          os.write(out);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      exchange.close();
    }
  }

  private String verdict(HttpExchange exchange, byte[] body) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization == null) {
      return "not signed (no Authorization header)";
    }
    Matcher m = AUTHORIZATION.matcher(authorization);
    if (!m.matches()) {
      return "not a SigV4 Authorization header: " + authorization.replaceAll("Signature=.*", "Signature=...");
    }
    if (!m.group(1).equals(accessKey) || !m.group(3).equals(region) || !m.group(4).equals(service)) {
      return "signed for " + m.group(1) + "/" + m.group(3) + "/" + m.group(4) + ", expected " + accessKey + "/"
          + region + "/" + service;
    }
    String amzDate = exchange.getRequestHeaders().getFirst("X-Amz-Date");
    if (amzDate == null || !amzDate.startsWith(m.group(2))) {
      return "X-Amz-Date " + amzDate + " does not match the credential date " + m.group(2);
    }
    List<String> signedHeaders = Arrays.asList(m.group(5).split(";"));
    StringBuilder canonicalHeaders = new StringBuilder();
    for (String name : signedHeaders) {
      List<String> values = exchange.getRequestHeaders().get(name);
      if (values == null) {
        return "signed header " + name + " is missing";
      }
      canonicalHeaders.append(name).append(':')
          .append(values.stream().map(v -> v.trim().replaceAll(" +", " ")).collect(Collectors.joining(","))).append('\n');
    }
    URI uri = exchange.getRequestURI();
    String canonicalRequest = String.join("\n", exchange.getRequestMethod(), uri.getRawPath(),
        canonicalQuery(uri.getRawQuery()), canonicalHeaders.toString(), m.group(5), hex(sha256(body)));
    String scope = m.group(2) + "/" + region + "/" + service + "/aws4_request";
    String stringToSign = String.join("\n", "AWS4-HMAC-SHA256", amzDate, scope,
        hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8))));
    byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), m.group(2));
    for (String part : List.of(region, service, "aws4_request")) {
      key = hmac(key, part);
    }
    String expected = hex(hmac(key, stringToSign));
    return expected.equals(m.group(6)) ? "signed" : "signature does not match the request and the secret key";
  }

  private static String canonicalQuery(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return "";
    }
    List<String> pairs = new ArrayList<>(Arrays.asList(rawQuery.split("&")));
    pairs.replaceAll(p -> p.contains("=") ? p : p + "=");
    pairs.sort(null);
    return String.join("&", pairs);
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) {
      sb.append(String.format("%02x", b));
    }
    return sb.toString();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /** A short summary for messages: verdicts and how many requests had each. */
  public static Map<String, Long> verdicts(List<Seen> seen) {
    return seen.stream().collect(Collectors.groupingBy(s -> s.verdict, java.util.TreeMap::new, Collectors.counting()));
  }
}
