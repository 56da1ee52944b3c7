package io.github.streamingjob.job;

import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.transform.BaseTransformer;

/** One topic's generated SQL: its source table, its transformer's SELECT, and the INSERT into its sink. */
public final class Pipeline {
  private final TopicDef topic;
  private final BaseTransformer transformer;
  private final String sourceTable;
  private final String select;

  Pipeline(TopicDef topic, BaseTransformer transformer, String sourceTable, String select) {
    this.topic = topic;
    this.transformer = transformer;
    this.sourceTable = sourceTable;
    this.select = select;
  }

  public TopicDef topic() {
    return topic;
  }

  public BaseTransformer transformer() {
    return transformer;
  }

  /** The Kafka source table's name as handed to the transformer. */
  public String sourceTable() {
    return sourceTable;
  }

  /** The transformer's SELECT, trimmed of a trailing semicolon. */
  public String select() {
    return select;
  }

  public boolean keepsDeadLetters() {
    return topic.onError() == io.github.streamingjob.config.OnError.DEAD_LETTER;
  }

  /** INSERT of the topic's malformed records into its dead-letter table. */
  public String deadLetterInsertInto(String qualifiedTable) {
    return "INSERT INTO " + qualifiedTable + " ("
        + io.github.streamingjob.util.Sql.identList(io.github.streamingjob.sink.DeadLetterTable.of("x").schema().stream()
            .map(c -> c.name()).collect(java.util.stream.Collectors.toList()))
        + ")\n" + io.github.streamingjob.source.KafkaSourceTable.deadLetterSelect(topic);
  }

  /** INSERT with an explicit column list, so extra columns in an existing table stay NULL. */
  public String insertInto(String qualifiedSink) {
    return "INSERT INTO " + qualifiedSink + " ("
        + io.github.streamingjob.util.Sql.identList(
            topic.sink().schema().stream().map(c -> c.name()).collect(java.util.stream.Collectors.toList()))
        + ")\n" + select;
  }
}
