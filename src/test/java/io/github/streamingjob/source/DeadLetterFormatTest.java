package io.github.streamingjob.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dead-letter format through Flink's factory discovery, over lines of a file. */
class DeadLetterFormatTest {
  @TempDir Path dir;

  private List<Row> read(String onError) throws Exception {
    Path file = dir.resolve("in.json");
    Files.writeString(file, "{\"a\":1,\"b\":\"x\"}\nnot json\n{\"a\":\"NaN-ish\",\"b\":\"y\"}\n{\"b\":\"z\"}\n");
    TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inBatchMode());
    env.executeSql("CREATE TABLE t (a BIGINT, b STRING, `__error` STRING, `__payload` BYTES) WITH ("
        + "'connector' = 'filesystem', 'path' = '" + file.toUri() + "', 'format' = 'dead-letter', "
        + "'dead-letter.format' = 'json', 'dead-letter.on-error' = '" + onError + "', "
        + "'dead-letter.json.fail-on-missing-field' = 'true')");
    List<Row> rows = new ArrayList<>();
    try (CloseableIterator<Row> it = env.executeSql("SELECT * FROM t").collect()) {
      it.forEachRemaining(rows::add);
    }
    return rows;
  }

  @Test
  void malformedRecordsBecomeErrorRowsWithTheirPayload() throws Exception {
    List<Row> rows = read("dead-letter");
    assertThat(rows).hasSize(4);
    assertThat(rows.get(0)).isEqualTo(Row.of(1L, "x", null, null));
    assertThat(rows.subList(1, 4)).allSatisfy(r -> {
      assertThat(r.getField(0)).isNull();
      assertThat(r.getField(1)).isNull();
      assertThat((String) r.getField(2)).isNotBlank();
    });
    assertThat(rows.subList(1, 4)).extracting(r -> new String((byte[]) r.getField(3), StandardCharsets.UTF_8))
        .containsExactly("not json", "{\"a\":\"NaN-ish\",\"b\":\"y\"}", "{\"b\":\"z\"}");
    assertThat((String) rows.get(3).getField(2)).contains("a");
  }

  @Test
  void skipDropsThem() throws Exception {
    assertThat(read("skip")).containsExactly(Row.of(1L, "x", null, null));
  }
}
