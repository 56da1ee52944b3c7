package io.github.streamingjob.util;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.table.utils.EncodingUtils;

/** The one place SQL text is quoted; every generated identifier and literal goes through here. */
public final class Sql {
  /** What a secret option value is printed as. */
  public static final String HIDDEN = "******";

  private Sql() {}

  /** {@code `name`} with inner backticks doubled, as Flink's own serializer does. */
  public static String ident(String name) {
    return EncodingUtils.escapeIdentifier(name);
  }

  /** {@code `a`.`b`.`c`}. */
  public static String path(String... parts) {
    return java.util.Arrays.stream(parts).map(Sql::ident).collect(Collectors.joining("."));
  }

  public static String identList(List<String> names) {
    return names.stream().map(Sql::ident).collect(Collectors.joining(", "));
  }

  /** {@code 'text'} with inner single quotes doubled. */
  public static String literal(String text) {
    return "'" + EncodingUtils.escapeSingleQuotes(text) + "'";
  }

  /** A WITH clause body; values of secret keys ({@link Secrets#isSecretKey}) are hidden if asked. */
  public static String options(Map<String, String> options, boolean hideSecrets) {
    return options.entrySet().stream()
        .map(e -> "  " + literal(e.getKey()) + " = "
            + (hideSecrets && Secrets.isSecretKey(e.getKey()) ? literal(HIDDEN) : literal(e.getValue())))
        .collect(Collectors.joining(",\n"));
  }
}
