package io.github.streamingjob.testing.standin;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.signer.Aws4Signer;
import software.amazon.awssdk.auth.signer.params.Aws4SignerParams;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.regions.Region;

/** The signature check the cluster test relies on accepts a good signature and refuses the others. */
class SigV4CheckingProxyTest {
  HttpServer target;
  SigV4CheckingProxy proxy;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
    target.createContext("/", exchange -> {
      byte[] body = ("echo " + exchange.getRequestURI()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    target.start();
    proxy = SigV4CheckingProxy.start("http://127.0.0.1:" + target.getAddress().getPort(), "AKIDTEST", "right-secret",
        "us-east-1", "s3tables");
  }

  @AfterEach
  void stop() {
    proxy.close();
    target.stop(0);
  }

  private HttpResponse<String> send(String secret, String service, String method, String pathAndQuery, String body)
      throws Exception {
    SdkHttpFullRequest.Builder request = SdkHttpFullRequest.builder().method(SdkHttpMethod.fromValue(method))
        .uri(URI.create(proxy.uri() + pathAndQuery)).putHeader("Content-Type", "application/json");
    if (body != null) {
      request.contentStreamProvider(RequestBody.fromString(body).contentStreamProvider());
    }
    SdkHttpFullRequest signed = Aws4Signer.create().sign(request.build(), Aws4SignerParams.builder()
        .awsCredentials(AwsBasicCredentials.create("AKIDTEST", secret)).signingName(service)
        .signingRegion(Region.US_EAST_1).build());
    HttpRequest.Builder out = HttpRequest.newBuilder(signed.getUri()).method(method,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    signed.headers().forEach((name, values) -> {
      if (!name.equalsIgnoreCase("Host")) {
        values.forEach(v -> out.header(name, v));
      }
    });
    return http.send(out.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aCorrectSignatureIsAcceptedAndTheRequestForwarded() throws Exception {
    HttpResponse<String> response = send("right-secret", "s3tables", "GET", "/v1/config?a=1&warehouse=s3%3A%2F%2Fb", null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("echo /v1/config?a=1&warehouse=s3%3A%2F%2Fb");
    send("right-secret", "s3tables", "POST", "/v1/namespaces/streaming/tables", "{\"name\":\"t\"}");
    assertThat(proxy.seen()).extracting(s -> s.verdict).containsExactly("signed", "signed");
  }

  @Test
  void aWrongSecretServiceOrNoSignatureIsReported() throws Exception {
    send("wrong-secret", "s3tables", "POST", "/v1/namespaces", "{}");
    send("right-secret", "glue", "GET", "/v1/config", null);
    http.send(HttpRequest.newBuilder(URI.create(proxy.uri() + "/v1/config")).build(), HttpResponse.BodyHandlers.ofString());
    List<SigV4CheckingProxy.Seen> seen = proxy.seen();
    assertThat(seen).extracting(s -> s.verdict).containsExactly(
        "signature does not match the request and the secret key",
        "signed for AKIDTEST/us-east-1/glue, expected AKIDTEST/us-east-1/s3tables",
        "not signed (no Authorization header)");
  }
}
