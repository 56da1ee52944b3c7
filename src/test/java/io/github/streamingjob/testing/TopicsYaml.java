package io.github.streamingjob.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

/**
 * The shipped config/topics.yaml as a user edits it (an entry added, moved, disabled, a key changed), written out
 * with the shipped transformations.yaml plus the test transformers of {@code job.evolution}.
 */
public final class TopicsYaml {
  /** The test transformers, registered under these names. */
  public static final String TEST_TRANSFORMATIONS = "\n"
      + "  bids_per_user_per_two_minutes:\n"
      + "    class: \"BidsPerUserPerTwoMinutesTransformer\"\n"
      + "    module: \"io.github.streamingjob.job.evolution\"\n"
      + "  small_bids_per_user:\n"
      + "    class: \"SmallBidsPerUserTransformer\"\n"
      + "    module: \"io.github.streamingjob.job.evolution\"\n"
      + "  user_events_with_referrer:\n"
      + "    class: \"UserEventsWithReferrerTransformer\"\n"
      + "    module: \"io.github.streamingjob.job.evolution\"\n";

  private final Path configDir;
  private final LinkedHashMap<String, Object> topics;

  private TopicsYaml(Path configDir, LinkedHashMap<String, Object> topics) {
    this.configDir = configDir;
    this.topics = topics;
  }

  public static TopicsYaml shipped() {
    return of(Path.of("config"));
  }

  /** The topics.yaml of {@code configDir}, written out later with that directory's transformations.yaml. */
  @SuppressWarnings("unchecked")
  public static TopicsYaml of(Path configDir) {
    try {
      Map<String, Object> root = new Yaml(new SafeConstructor(new LoaderOptions()))
          .load(Files.readString(configDir.resolve("topics.yaml")));
      return new TopicsYaml(configDir, (LinkedHashMap<String, Object>) root.get("topics"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A copy, so that a change never leaks into the version it came from. */
  @SuppressWarnings("unchecked")
  public TopicsYaml copy() {
    Yaml yaml = yaml();
    return new TopicsYaml(configDir, (LinkedHashMap<String, Object>) yaml.load(yaml.dump(topics)));
  }

  /** The entries' names, in their order. */
  public List<String> entries() {
    return new ArrayList<>(topics.keySet());
  }

  /** {@code key} (dotted) of entry {@code name}, a copy; null when the entry does not set it. */
  @SuppressWarnings("unchecked")
  public Object get(String name, String key) {
    Object at = copy().entry(name);
    for (String part : key.split("\\.")) {
      at = at instanceof Map ? ((Map<String, Object>) at).get(part) : null;
    }
    return at;
  }

  /** The entry {@code name}, a copy of {@code like} with {@code changes} ({@code "sink.table_name"} style keys). */
  public TopicsYaml add(String name, String like, boolean first, Map<String, Object> changes) {
    TopicsYaml out = copy();
    @SuppressWarnings("unchecked")
    Map<String, Object> entry = (Map<String, Object>) copy().topics.get(like);
    changes.forEach((k, v) -> put(entry, k, v));
    LinkedHashMap<String, Object> topics = new LinkedHashMap<>();
    if (first) {
      topics.put(name, entry);
    }
    topics.putAll(out.topics);
    topics.put(name, entry);
    return new TopicsYaml(configDir, topics);
  }

  /** The entries in the opposite order. */
  public TopicsYaml reversed() {
    List<String> names = new ArrayList<>(topics.keySet());
    Collections.reverse(names);
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    TopicsYaml copy = copy();
    names.forEach(n -> out.put(n, copy.topics.get(n)));
    return new TopicsYaml(configDir, out);
  }

  /** {@code key} (dotted: {@code sink.table_name}) of entry {@code name} set to {@code value}. */
  @SuppressWarnings("unchecked")
  public TopicsYaml set(String name, String key, Object value) {
    TopicsYaml out = copy();
    put(out.entry(name), key, value);
    return out;
  }

  /** A column appended to a list-valued key ({@code source_schema}, {@code sink.schema}). */
  @SuppressWarnings("unchecked")
  public TopicsYaml addColumn(String name, String key, String column, String type) {
    TopicsYaml out = copy();
    Map<String, Object> at = out.entry(name);
    String[] path = key.split("\\.");
    for (int i = 0; i < path.length - 1; i++) {
      at = (Map<String, Object>) at.get(path[i]);
    }
    Map<String, Object> col = new LinkedHashMap<>();
    col.put("name", column);
    col.put("type", type);
    ((List<Object>) at.get(path[path.length - 1])).add(col);
    return out;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> entry(String name) {
    Object entry = topics.get(name);
    if (entry == null) {
      throw new IllegalArgumentException(configDir.resolve("topics.yaml") + " has no entry " + name);
    }
    return (Map<String, Object>) entry;
  }

  @SuppressWarnings("unchecked")
  private static void put(Map<String, Object> entry, String key, Object value) {
    String[] path = key.split("\\.");
    Map<String, Object> at = entry;
    for (int i = 0; i < path.length - 1; i++) {
      at = (Map<String, Object>) at.computeIfAbsent(path[i], k -> new LinkedHashMap<>());
    }
    at.put(path[path.length - 1], value);
  }

  /** topics.yaml and transformations.yaml (the one read from and the test transformers) in {@code dir}. */
  public Path writeTo(Path dir) {
    try {
      Files.createDirectories(dir);
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("topics", topics);
      Files.writeString(dir.resolve("topics.yaml"), yaml().dump(root));
      Files.writeString(dir.resolve("transformations.yaml"),
          Files.readString(configDir.resolve("transformations.yaml")) + TEST_TRANSFORMATIONS);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Yaml yaml() {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    return new Yaml(new SafeConstructor(new LoaderOptions()), new Representer(options), options);
  }
}
