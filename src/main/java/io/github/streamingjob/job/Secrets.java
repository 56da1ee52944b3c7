package io.github.streamingjob.job;

import io.github.streamingjob.util.Sql;
import java.util.List;

/** Keeps secret values (SASL passwords) out of anything printed, logged or thrown. */
final class Secrets {
  private final List<String> values;

  Secrets(List<String> values) {
    this.values = List.copyOf(values);
  }

  String redact(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    for (String v : values) {
      if (!v.isEmpty()) {
        out = out.replace(v, Sql.HIDDEN);
      }
    }
    return out;
  }

  /** The same failure with every message in its cause chain redacted, and no cause carrying a secret. */
  RuntimeException redact(RuntimeException e) {
    StringBuilder messages = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (messages.length() > 0) {
        messages.append("\n  caused by: ");
      }
      messages.append(t.getClass().getName()).append(": ").append(t.getMessage());
    }
    RuntimeException clean = new RuntimeException(redact(messages.toString()));
    clean.setStackTrace(e.getStackTrace());
    return clean;
  }
}
