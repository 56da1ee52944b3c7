package io.github.streamingjob.source;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The writer schemas a registry format has resolved, by id: the most recently used are kept, so a topic that has seen
 * many schema versions does not hold every one.
 */
final class SchemaCache {
  private SchemaCache() {}

  static <K, V> Map<K, V> lru(int max) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > max;
      }
    };
  }
}
