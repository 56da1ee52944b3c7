package io.github.streamingjob.source;

import static io.github.streamingjob.config.RuntimeProperties.KAFKA_GROUP;

import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.RuntimeProperties;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** How to reach the Kafka cluster, from the {@code KafkaSource} property group. */
public final class KafkaSettings {
  /** Client authentication to the brokers. */
  public enum Auth {
    /** Plaintext, no authentication: local brokers. */
    NONE,
    /** Amazon MSK IAM access control (SASL/AWS_MSK_IAM over TLS), with the task's role. */
    IAM,
    /** SASL/SCRAM over TLS with a user name and password (MSK supports SCRAM-SHA-512). */
    SCRAM
  }

  static final String IAM_LOGIN_MODULE = "software.amazon.msk.auth.iam.IAMLoginModule";
  static final String IAM_CALLBACK_HANDLER = "software.amazon.msk.auth.iam.IAMClientCallbackHandler";
  /** What MSK IAM authentication loads inside the Kafka client; must be in the JAR. */
  public static final List<String> IAM_CLASSES = List.of(IAM_LOGIN_MODULE, IAM_CALLBACK_HANDLER,
      "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider");
  static final String SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";
  private static final List<String> SCRAM_MECHANISMS = List.of("SCRAM-SHA-512", "SCRAM-SHA-256");

  private final String bootstrapServers;
  private final Auth auth;
  private final String securityProtocol;
  private final String saslMechanism;
  private final String username;
  private final String password;
  private final boolean bounded;

  private KafkaSettings(String bootstrapServers, Auth auth, String securityProtocol, String saslMechanism,
      String username, String password, boolean bounded) {
    this.bootstrapServers = bootstrapServers;
    this.auth = auth;
    this.securityProtocol = securityProtocol;
    this.saslMechanism = saslMechanism;
    this.username = username;
    this.password = password;
    this.bounded = bounded;
  }

  public static KafkaSettings plaintext(String bootstrapServers) {
    return new KafkaSettings(bootstrapServers, Auth.NONE, "PLAINTEXT", null, null, null, false);
  }

  /** Reads and checks the group; records problems and returns null when it is unusable. */
  public static KafkaSettings from(RuntimeProperties props, Problems problems) {
    String servers = props.require(KAFKA_GROUP, RuntimeProperties.BOOTSTRAP_SERVERS, problems);
    String authText = props.get(KAFKA_GROUP, RuntimeProperties.AUTH).orElse("none");
    Auth auth;
    try {
      auth = Auth.valueOf(authText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      problems.add(props.at(KAFKA_GROUP).key(RuntimeProperties.AUTH),
          "'" + authText + "' is not an authentication mode (expected one of: iam, none, scram)");
      return null;
    }
    String protocol = props.get(KAFKA_GROUP, RuntimeProperties.SECURITY_PROTOCOL)
        .orElse(auth == Auth.NONE ? "PLAINTEXT" : "SASL_SSL");
    String mechanism = null;
    String user = null;
    String password = null;
    if (auth == Auth.IAM) {
      mechanism = "AWS_MSK_IAM";
    } else if (auth == Auth.SCRAM) {
      mechanism = props.get(KAFKA_GROUP, RuntimeProperties.SASL_MECHANISM).orElse("SCRAM-SHA-512");
      if (!SCRAM_MECHANISMS.contains(mechanism)) {
        problems.add(props.at(KAFKA_GROUP).key(RuntimeProperties.SASL_MECHANISM),
            "'" + mechanism + "' is not a SCRAM mechanism (expected one of " + SCRAM_MECHANISMS + ")");
      }
      user = props.require(KAFKA_GROUP, RuntimeProperties.SASL_USERNAME, problems);
      password = props.require(KAFKA_GROUP, RuntimeProperties.SASL_PASSWORD, problems);
    }
    boolean bounded = props.getBoolean(KAFKA_GROUP, RuntimeProperties.BOUNDED, false);
    return servers == null ? null : new KafkaSettings(servers, auth, protocol, mechanism, user, password, bounded);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public Auth auth() {
    return auth;
  }

  /** Read up to the latest offsets at start, then finish (backfills, benchmarks); else run forever. */
  public boolean bounded() {
    return bounded;
  }

  /** Kafka client properties (without the connector's {@code properties.} prefix). */
  public Map<String, String> clientProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("bootstrap.servers", bootstrapServers);
    p.put("security.protocol", securityProtocol);
    switch (auth) {
      case IAM:
        p.put("sasl.mechanism", saslMechanism);
        p.put("sasl.jaas.config", IAM_LOGIN_MODULE + " required;");
        p.put("sasl.client.callback.handler.class", IAM_CALLBACK_HANDLER);
        break;
      case SCRAM:
        p.put("sasl.mechanism", saslMechanism);
        p.put("sasl.jaas.config", SCRAM_LOGIN_MODULE + " required username=" + jaasQuote(username)
            + " password=" + jaasQuote(password) + ";");
        break;
      default:
        break;
    }
    return p;
  }

  private static String jaasQuote(String s) {
    return "\"" + io.github.streamingjob.util.Secrets.jaas(s) + "\"";
  }

  @Override
  public String toString() {
    return "KafkaSettings{bootstrap.servers=" + bootstrapServers + ", auth=" + auth + ", security.protocol="
        + securityProtocol + (username == null ? "" : ", user=" + username) + "}";
  }
}
