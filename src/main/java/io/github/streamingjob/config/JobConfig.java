package io.github.streamingjob.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/** The whole pipeline definition: topics.yaml and transformations.yaml, parsed and validated. */
public final class JobConfig {
  private final List<TopicDef> topics;
  private final Map<String, TransformationDef> transformations;

  public JobConfig(List<TopicDef> topics, Map<String, TransformationDef> transformations) {
    this.topics = List.copyOf(topics);
    this.transformations = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(transformations));
  }

  /** All topics, in file order, enabled or not. */
  public List<TopicDef> topics() {
    return topics;
  }

  public List<TopicDef> enabledTopics() {
    return topics.stream().filter(TopicDef::enabled).collect(Collectors.toList());
  }

  public Map<String, TransformationDef> transformations() {
    return transformations;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JobConfig
        && topics.equals(((JobConfig) o).topics)
        && transformations.equals(((JobConfig) o).transformations);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topics, transformations);
  }

  @Override
  public String toString() {
    return "JobConfig{topics=" + topics + ", transformations=" + transformations.values() + "}";
  }
}
