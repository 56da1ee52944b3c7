package io.github.streamingjob.util;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.table.utils.EncodingUtils;

/**
 * The job's one secret policy, for everything it prints, logs or throws: which keys hold secrets (Flink's
 * own rule plus the secret keys of Iceberg, AWS and Kafka it misses), and every form in which a secret
 * value can show up in text: as written, JAAS-quoted (a SCRAM password inside {@code sasl.jaas.config}),
 * SQL-quoted (inside DDL), Java/JSON-escaped and URL-encoded, and those combined.
 */
public final class Secrets {
  /** Lower-case key fragments that mark a secret, beyond Flink's {@code GlobalConfiguration.isSensitive}. */
  private static final List<String> SECRET_KEY_PARTS = List.of(
      "credential", // iceberg.credential (OAuth2 client id:secret), rest.*credentials*
      "authorization", // iceberg.header.Authorization
      "cookie",
      "private", // private keys
      "ssl.key", // ssl.key.password
      "keystore.key", // ssl.keystore.key: PEM key material
      "signature");

  private final List<String> values;
  private final List<String> forms;

  private Secrets(Collection<String> values) {
    Set<String> all = new LinkedHashSet<>();
    List<String> kept = new ArrayList<>();
    for (String v : values) {
      if (v != null && !v.isEmpty()) {
        kept.add(v);
        all.addAll(forms(v));
      }
    }
    this.values = List.copyOf(kept);
    List<String> sorted = new ArrayList<>(all);
    sorted.sort(Comparator.comparingInt(String::length).reversed()); // an escaped form contains the plain one
    this.forms = List.copyOf(sorted);
  }

  public static Secrets none() {
    return new Secrets(List.of());
  }

  public static Secrets of(Collection<String> values) {
    return new Secrets(values);
  }

  /** The secret values among these properties: values of secret keys, and passwords inside URIs. */
  public static Secrets in(Map<String, String> properties) {
    return none().and(properties);
  }

  /** These secrets and the secret values among {@code properties}. */
  public Secrets and(Map<String, String> properties) {
    List<String> all = new ArrayList<>(values);
    properties.forEach((k, v) -> {
      if (isSecretKey(k)) {
        all.add(v);
      }
      uriPassword(v).ifPresent(all::add);
    });
    return new Secrets(all);
  }

  /** Whether a property of this name holds a secret, whatever its prefix ({@code properties.}, {@code iceberg.}). */
  public static boolean isSecretKey(String key) {
    if (GlobalConfiguration.isSensitive(key)) {
      return true;
    }
    String k = key.toLowerCase(Locale.ROOT);
    return SECRET_KEY_PARTS.stream().anyMatch(k::contains);
  }

  /** The text with every form of every secret replaced by {@value Sql#HIDDEN}. */
  public String redact(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    for (String f : forms) {
      out = out.replace(f, Sql.HIDDEN);
    }
    return out;
  }

  /** The same failure with every message in its cause chain redacted, and no cause carrying a secret. */
  public RuntimeException redact(RuntimeException e) {
    StringBuilder messages = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (messages.length() > 0) {
        messages.append("\n  caused by: ");
      }
      messages.append(t.getClass().getName()).append(": ").append(t.getMessage());
    }
    String redacted = redact(messages.toString());
    if (redacted.equals(messages.toString())) {
      return e; // nothing secret in it: keep the original, with its type and causes
    }
    RuntimeException clean = new RuntimeException(redacted);
    clean.setStackTrace(e.getStackTrace());
    return clean;
  }

  /** A URI's user-info password, as in {@code https://user:password@host/}. */
  static java.util.Optional<String> uriPassword(String value) {
    if (value == null || !value.contains("@") || !value.contains("://")) {
      return java.util.Optional.empty();
    }
    try {
      String userInfo = URI.create(value.trim()).getRawUserInfo();
      int colon = userInfo == null ? -1 : userInfo.indexOf(':');
      return colon < 0 ? java.util.Optional.empty() : java.util.Optional.of(userInfo.substring(colon + 1));
    } catch (IllegalArgumentException e) {
      return java.util.Optional.empty();
    }
  }

  /** The value with a URI's user-info password masked, for printing settings. */
  public static String maskUri(String value) {
    return uriPassword(value).map(p -> value.replace(":" + p + "@", ":" + Sql.HIDDEN + "@")).orElse(value);
  }

  /** Every way the value can be written into text by this job, Flink, Kafka or a JSON/URL encoder. */
  static Set<String> forms(String secret) {
    Set<String> forms = new LinkedHashSet<>();
    forms.add(secret);
    for (int round = 0; round < 3; round++) { // e.g. a SCRAM password: JAAS-escaped, in a SQL literal, in JSON
      for (String f : List.copyOf(forms)) {
        forms.add(jaas(f));
        forms.add(EncodingUtils.escapeSingleQuotes(f));
        forms.add(EncodingUtils.escapeJava(f));
        forms.add(URLEncoder.encode(f, StandardCharsets.UTF_8));
        forms.add(URLEncoder.encode(f, StandardCharsets.UTF_8).replace("+", "%20"));
      }
    }
    return forms;
  }

  /** A JAAS option value's inner text: backslashes and double quotes escaped. */
  public static String jaas(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
