package io.github.streamingjob.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.JobConfig;
import io.github.streamingjob.config.TopicDef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SharedKafkaSourceTest {
  static JobConfig shipped(String from, String to) throws IOException {
    String topics = Files.readString(Path.of("config/topics.yaml"));
    assertThat(topics).contains(from);
    return ConfigLoader.parse(topics.replace(from, to), Files.readString(Path.of("config/transformations.yaml")));
  }

  static List<List<String>> groups(JobConfig config) {
    return SharedKafkaSource.group(config.enabledTopics()).stream()
        .map(s -> s.members().stream().map(TopicDef::name).collect(Collectors.toList())).collect(Collectors.toList());
  }

  @Test
  void theShippedBidPipelinesReadTheirTopicOnce() throws IOException {
    JobConfig config = shipped("", "");
    assertThat(groups(config)).containsExactly(List.of("bid-events", "bid-events-aggregated"), List.of("customers"),
        List.of("order-events"), List.of("user-activity"));
    SharedKafkaSource bids = SharedKafkaSource.group(config.enabledTopics()).get(0);
    // The table has the aggregation's computed column and watermark; each view only its entry's columns.
    assertThat(bids.table().sourceSchema()).extracting(ColumnDef::name)
        .containsExactly("user_id", "bid_id", "amount", "timestamp_ms", "event_time");
    assertThat(bids.table().watermark()).isPresent();
    assertThat(bids.table().kafkaGroupId()).isEqualTo("flink-bid-events-v1");
    // Read once as a stream; the aggregation, with event time, behind its late-record gate.
    assertThat(bids.gatesLateRecords()).isTrue();
    assertThat(bids.ddl(KafkaSettings.plaintext("b:9092"), false)).hasSize(4)
        .anySatisfy(d -> assertThat(d).startsWith("CREATE TEMPORARY VIEW `source_bid_events` AS\nSELECT `user_id`, "
            + "`bid_id`, `amount`, `timestamp_ms`\nFROM `source_bid_events__read`"))
        .anySatisfy(d -> assertThat(d).startsWith("CREATE TEMPORARY VIEW `source_bid_events_aggregated` AS\nSELECT "
            + "`user_id`, `bid_id`, `amount`, `timestamp_ms`, `event_time`\nFROM `source_bid_events_aggregated__on_time`"));
    assertThat(SharedKafkaSource.group(config.enabledTopics(), false).get(0).gatesLateRecords()).isFalse();
  }

  /**
   * Which entries share a read, and the group id it commits under, never depend on the order of topics.yaml: the
   * aggregation moved before the raw bids reads with them all the same, under the raw bids' group.
   */
  @Test
  void theOrderOfTheEntriesDoesNotMatter() throws IOException {
    JobConfig config = shipped("", "");
    List<TopicDef> reversed = new java.util.ArrayList<>(config.enabledTopics());
    java.util.Collections.reverse(reversed);
    List<SharedKafkaSource> sources = SharedKafkaSource.group(reversed);
    assertThat(sources).isEqualTo(SharedKafkaSource.group(config.enabledTopics()));
    assertThat(sources.get(0).table().kafkaGroupId()).isEqualTo("flink-bid-events-v1");
    assertThat(sources.get(0).rawTableName()).isEqualTo("source_bid_events__raw");
  }

  @Test
  void entriesThatDecodeOrStartDifferentlyKeepTheirOwnSource() throws IOException {
    String aggregated = "    topic: \"bid-events\"                            # extension: the Kafka topic, when not the entry's key\n";
    assertThat(groups(shipped(aggregated, aggregated + "    format_options:\n      ignore-parse-errors: true\n")))
        .contains(List.of("bid-events"), List.of("bid-events-aggregated"));
    assertThat(groups(shipped(aggregated, aggregated + "    kafka_properties:\n      max.poll.records: 10\n")))
        .contains(List.of("bid-events"), List.of("bid-events-aggregated"));
    assertThat(groups(shipped(aggregated, aggregated + "    on_error: \"skip\"\n")))
        .contains(List.of("bid-events"), List.of("bid-events-aggregated"));
    // Group offsets: each entry starts where its own consumer group stopped.
    assertThat(groups(shipped("scan_mode: \"earliest-offset\"", "scan_mode: \"group-offsets\"")))
        .contains(List.of("bid-events"), List.of("bid-events-aggregated"));
  }

  @Test
  void conflictingComputedColumnsOrWatermarksKeepTheirOwnSource() throws IOException {
    String bidsEnd = "      - name: \"timestamp_ms\"\n        type: \"BIGINT\"\n    sink:\n      table_name: \"bid_events_raw\"";
    JobConfig conflicting = shipped(bidsEnd, "      - name: \"timestamp_ms\"\n        type: \"BIGINT\"\n"
        + "      - name: \"event_time\"\n        expression: \"TO_TIMESTAMP_LTZ(timestamp_ms, 0)\"\n"
        + "    sink:\n      table_name: \"bid_events_raw\"");
    assertThat(groups(conflicting)).contains(List.of("bid-events"), List.of("bid-events-aggregated"));
    JobConfig sameColumn = shipped(bidsEnd, "      - name: \"timestamp_ms\"\n        type: \"BIGINT\"\n"
        + "      - name: \"event_time\"\n        expression: \"TO_TIMESTAMP_LTZ(timestamp_ms, 3)\"\n"
        + "    sink:\n      table_name: \"bid_events_raw\"");
    assertThat(groups(sameColumn)).contains(List.of("bid-events", "bid-events-aggregated"));
  }
}
