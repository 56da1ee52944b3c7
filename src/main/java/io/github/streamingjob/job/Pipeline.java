package io.github.streamingjob.job;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.OnError;
import io.github.streamingjob.config.SinkDef;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.sink.DeadLetterTable;
import io.github.streamingjob.sink.LateRecordsTable;
import io.github.streamingjob.source.LateRecords;
import io.github.streamingjob.source.KafkaSourceTable;
import io.github.streamingjob.source.SharedKafkaSource;
import io.github.streamingjob.transform.BaseTransformer;
import io.github.streamingjob.util.Sql;
import java.util.List;
import java.util.stream.Collectors;

/** One topic's generated SQL: its source table, its transformer's SELECT, and the INSERT into its sink. */
public final class Pipeline {
  private final TopicDef topic;
  private final BaseTransformer transformer;
  private final String select;
  private final SharedKafkaSource source;

  Pipeline(TopicDef topic, BaseTransformer transformer, String select, SharedKafkaSource source) {
    this.topic = topic;
    this.transformer = transformer;
    this.select = select;
    this.source = source;
  }

  /** The Kafka source table this pipeline reads, with the other entries that read it too. */
  public SharedKafkaSource source() {
    return source;
  }

  public TopicDef topic() {
    return topic;
  }

  public BaseTransformer transformer() {
    return transformer;
  }

  /** The transformer's SELECT, trimmed of a trailing semicolon. */
  public String select() {
    return select;
  }

  public boolean keepsDeadLetters() {
    return topic.onError() == OnError.DEAD_LETTER;
  }

  /** INSERT with an explicit column list, so extra columns in an existing table stay NULL. */
  public String insertInto(String qualifiedSink) {
    return insert(qualifiedSink, topic.sink(), select);
  }

  /** INSERT of the topic's malformed records into its dead-letter table. */
  public String deadLetterInsertInto(String qualifiedTable) {
    return deadLetterInsertInto(qualifiedTable, List.of(this));
  }

  /**
   * One INSERT of several pipelines' malformed records into their shared dead-letter table: one writer
   * and one committer for the table, instead of one per pipeline committing to it at every checkpoint.
   */
  static String deadLetterInsertInto(String qualifiedTable, List<Pipeline> pipelines) {
    return insert(qualifiedTable, DeadLetterTable.of(pipelines.get(0).topic.deadLetterTable()), pipelines.stream()
        .map(p -> KafkaSourceTable.deadLetterSelect(p.topic, p.source.readTableName()))
        .collect(Collectors.joining("\nUNION ALL\n")));
  }

  /** One INSERT of several pipelines' late records into the late-records table: one writer and committer for it. */
  static String lateRecordsInsertInto(String qualifiedTable, List<Pipeline> pipelines) {
    return insert(qualifiedTable, LateRecordsTable.of(LateRecordsTable.NAME), pipelines.stream()
        .map(p -> LateRecords.select(p.topic)).collect(Collectors.joining("\nUNION ALL\n")));
  }

  private static String insert(String table, SinkDef columnsOf, String query) {
    return "INSERT INTO " + table + " ("
        + Sql.identList(columnsOf.schema().stream().map(ColumnDef::name).collect(Collectors.toList())) + ")\n" + query;
  }
}
