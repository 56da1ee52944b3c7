package io.github.streamingjob.transform;

import io.github.streamingjob.config.TopicDef;

/**
 * A topic's transformation: a Flink SQL SELECT over the topic's source table whose columns match the
 * topic's {@code sink.schema}. Subclasses need a public no-argument constructor or one taking the
 * {@link TopicDef}; they are the only classes the job ever instantiates from configuration.
 */
public abstract class BaseTransformer {
  private TopicDef topicConfig;

  protected BaseTransformer() {}

  protected BaseTransformer(TopicDef topicConfig) {
    this.topicConfig = topicConfig;
  }

  /** The SELECT statement; {@code sourceTable} is the already quoted name of the topic's Kafka table. */
  public abstract String getTransformationSql(String sourceTable);

  /** One line for logs and {@code --validate} output. */
  public String getDescription() {
    return getClass().getSimpleName();
  }

  /** The topic this transformer was created for (source schema, sink, ...). */
  public TopicDef getTopicConfig() {
    return topicConfig;
  }

  final void bind(TopicDef topic) {
    this.topicConfig = topic;
  }
}
