package io.github.streamingjob.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Collects configuration problems as {@code file: topic 'x': key 'y': what is wrong (expected)}, so
 * validation runs in one pass and reports everything at once.
 */
public final class Problems {
  private final List<String> messages = new ArrayList<>();

  /** Where a problem is: the file, then the entry ("topic 'bid-events'") and key path, each optional. */
  public static final class At {
    private final String file;
    private final String entry;
    private final String key;

    private At(String file, String entry, String key) {
      this.file = file;
      this.entry = entry;
      this.key = key;
    }

    public static At file(String file) {
      return new At(file, null, null);
    }

    public At entry(String kind, String name) {
      return new At(file, kind + " '" + name + "'", null);
    }

    public At key(String child) {
      return new At(file, entry, key == null ? child : key + "." + child);
    }

    /** A list element, e.g. {@code source_schema[2]}. */
    public At index(int i) {
      return new At(file, entry, (key == null ? "" : key) + "[" + i + "]");
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder(file);
      if (entry != null) {
        sb.append(": ").append(entry);
      }
      if (key != null) {
        sb.append(": key '").append(key).append("'");
      }
      return sb.toString();
    }
  }

  public void add(At at, String message) {
    messages.add(at + ": " + message);
  }

  public void add(String message) {
    messages.add(message);
  }

  public boolean isEmpty() {
    return messages.isEmpty();
  }

  public List<String> messages() {
    return List.copyOf(messages);
  }

  public void throwIfAny() {
    if (!messages.isEmpty()) {
      throw new ConfigException(messages);
    }
  }

  /** The closest candidate to a misspelled word, if it is close enough to be a likely typo. */
  public static Optional<String> nearest(String word, Collection<String> candidates) {
    String lower = word.toLowerCase();
    return candidates.stream()
        .min(Comparator.comparingInt((String c) -> distance(lower, c.toLowerCase())))
        .filter(c -> distance(lower, c.toLowerCase()) <= Math.max(2, c.length() / 3));
  }

  /** " (did you mean 'x'?)" or "". */
  public static String didYouMean(String word, Collection<String> candidates) {
    return nearest(word, candidates).map(c -> " (did you mean '" + c + "'?)").orElse("");
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
