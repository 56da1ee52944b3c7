package io.github.streamingjob.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.catalog.CatalogSettings.Type;
import io.github.streamingjob.config.Problems;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each rule of {@link TableNames}, and that the names the shipped config uses pass every catalog's. */
class TableNamesTest {
  private static List<String> problems(String what, String name, Type type) {
    Problems problems = new Problems();
    TableNames.check(what, name, type, Problems.At.file("topics.yaml").entry("topic", "t").key("sink.table_name"),
        problems);
    return problems.messages();
  }

  private static String problem(String what, String name, Type type) {
    List<String> found = problems(what, name, type);
    assertThat(found).as(name).hasSize(1);
    return found.get(0);
  }

  @Test
  void everyCatalogRefusesPathsControlCharactersAndOverlongNames() {
    for (Type type : Type.values()) {
      assertThat(problem("table", "../evil", type)).endsWith("'/' and '\\' make it a path (a name is one segment of "
          + "the warehouse)");
      assertThat(problem("table", "a\\b", type)).contains("make it a path");
      assertThat(problem("namespace", "..", type)).endsWith("'.' and '..' are path segments, not names");
      assertThat(problem("table", "bell\u0007", type)).endsWith("control characters are not allowed");
      assertThat(problem("table", "", type)).endsWith("it is empty");
      assertThat(problem("table", "x".repeat(256), type)).endsWith("longer than 255 characters");
      assertThat(problem("table", " padded", type)).endsWith("leading or trailing spaces are not allowed");
    }
  }

  @Test
  void eachCatalogItsOwnRules() {
    assertThat(problem("table", "Clicks", Type.S3TABLES)).isEqualTo("topics.yaml: topic 't': key 'sink.table_name': "
        + "'Clicks' is not a table name: S3 Tables takes lowercase letters, digits and underscores, starting and "
        + "ending with a letter or digit");
    assertThat(problem("table", "clicks_", Type.S3TABLES)).contains("starting and ending with a letter or digit");
    assertThat(problems("table", "aws_clicks", Type.S3TABLES)).isEmpty();
    assertThat(problem("namespace", "aws_events", Type.S3TABLES)).endsWith("S3 Tables reserves the prefix 'aws'");
    assertThat(problem("table", "page-views", Type.GLUE)).endsWith("Glue (Iceberg's Glue catalog) takes lowercase "
        + "letters, digits and underscores");
    assertThat(problems("namespace", "n".repeat(252), Type.GLUE)).isEmpty();
    assertThat(problem("namespace", "n".repeat(253), Type.GLUE)).endsWith("a Glue database name is at most 252 "
        + "characters");
    assertThat(problem("table", ".hidden", Type.HADOOP)).contains("a directory warehouse takes");
    assertThat(problem("table", "a:b", Type.HADOOP)).contains("a directory warehouse takes");
    assertThat(problems("table", "Page-Views.v2", Type.HADOOP)).isEmpty();
    assertThat(problems("table", "Page Views: 2", Type.REST)).isEmpty();
  }

  @Test
  void theShippedNamesPassEveryCatalog() {
    for (Type type : Type.values()) {
      for (String name : List.of("bid_events_raw", "user_events_processed", "order_events_enriched",
          "bid_events_aggregated", "customers", "dead_letters")) {
        assertThat(problems("table", name, type)).as(type + " " + name).isEmpty();
      }
      assertThat(problems("namespace", "streaming", type)).isEmpty();
    }
  }
}
