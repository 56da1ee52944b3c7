package io.github.streamingjob.transformations;

import static io.github.streamingjob.testing.TransformerTestHarness.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.testing.TransformerTestHarness;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each shipped transformer, run through the harness on the real config/: what users copy. */
class ShippedTransformersTest {
  static final long T0 = 1_704_067_200_000L; // 2024-01-01T00:00:00Z
  static final LocalDateTime MIDNIGHT = LocalDateTime.of(2024, 1, 1, 0, 0);

  static String bid(long user, String bid, double amount, long offsetMs) {
    return String.format("{\"user_id\":%d,\"bid_id\":\"%s\",\"amount\":%s,\"timestamp_ms\":%d}", user, bid, amount,
        T0 + offsetMs);
  }

  @Test
  void bidEventsRawConvertsEpochMillisToUtcTimestamps() {
    List<Map<String, Object>> rows = TransformerTestHarness.forTopic("bid-events").ignoring("ingestion_time")
        .run(bid(1, "b1", 10.0, 1_500), bid(2, "b2", 0.25, 86_400_000));
    assertThat(rows).containsExactly(
        row("user_id", 1L, "bid_id", "b1", "amount", 10.0, "event_time", MIDNIGHT.plusNanos(1_500_000_000L)),
        row("user_id", 2L, "bid_id", "b2", "amount", 0.25, "event_time", MIDNIGHT.plusDays(1)));
  }

  @Test
  void userActivityKeepsNullFields() {
    List<Map<String, Object>> rows = TransformerTestHarness.forTopic("user-activity").ignoring("ingestion_time")
        .run("{\"user_id\":7,\"activity_type\":\"view\",\"page_url\":\"/home\",\"timestamp_ms\":" + T0 + "}",
            "{\"user_id\":8,\"activity_type\":\"click\",\"page_url\":null,\"timestamp_ms\":" + T0 + "}");
    assertThat(rows).containsExactly(
        row("user_id", 7L, "activity_type", "view", "page_url", "/home", "activity_time", MIDNIGHT),
        row("user_id", 8L, "activity_type", "click", "page_url", null, "activity_time", MIDNIGHT));
  }

  @Test
  void orderEventsDropsNonPositiveAmounts() {
    List<Map<String, Object>> rows = TransformerTestHarness.forTopic("order-events").ignoring("ingestion_time")
        .run("{\"order_id\":\"o1\",\"user_id\":1,\"amount\":10.5,\"status\":\"paid\",\"timestamp_ms\":" + T0 + "}",
            "{\"order_id\":\"o2\",\"user_id\":1,\"amount\":0,\"status\":\"paid\",\"timestamp_ms\":" + T0 + "}",
            "{\"order_id\":\"o3\",\"user_id\":1,\"amount\":-1,\"status\":\"refund\",\"timestamp_ms\":" + T0 + "}",
            "{\"order_id\":\"o4\",\"user_id\":2,\"amount\":0.01,\"status\":\"paid\",\"timestamp_ms\":" + T0 + "}");
    assertThat(rows).extracting(r -> r.get("order_id")).containsExactly("o1", "o4");
    assertThat(rows.get(0)).isEqualTo(row("order_id", "o1", "user_id", 1L, "amount", 10.5, "status", "paid",
        "order_time", MIDNIGHT));
  }

  @Test
  void bidEventsAggregatedCountsPerUserPerMinute() {
    List<Map<String, Object>> rows = TransformerTestHarness.forTopic("bid-events-aggregated")
        .ignoring("ingestion_time")
        .run(bid(1, "a", 1, 0), bid(1, "b", 1, 59_999), bid(2, "c", 1, 30_000), bid(1, "d", 1, 60_000),
            bid(2, "e", 1, 185_000));
    // The end of input is a final watermark: every window fires, the last one included.
    assertThat(rows).containsExactlyInAnyOrder(
        row("user_id", 1L, "bid_count", 2L, "window_start", MIDNIGHT, "window_end", MIDNIGHT.plusMinutes(1)),
        row("user_id", 2L, "bid_count", 1L, "window_start", MIDNIGHT, "window_end", MIDNIGHT.plusMinutes(1)),
        row("user_id", 1L, "bid_count", 1L, "window_start", MIDNIGHT.plusMinutes(1), "window_end",
            MIDNIGHT.plusMinutes(2)),
        row("user_id", 2L, "bid_count", 1L, "window_start", MIDNIGHT.plusMinutes(3), "window_end",
            MIDNIGHT.plusMinutes(4)));
  }

  @Test
  void ingestionTimeIsATimestampWhenNotIgnored() {
    List<Map<String, Object>> rows = TransformerTestHarness.forTopic("bid-events").run(bid(1, "b1", 1.0, 0));
    assertThat(rows).singleElement().satisfies(r -> assertThat(r.get("ingestion_time")).isInstanceOf(LocalDateTime.class));
  }

  @Test
  void customersFollowsTheSourceTableThroughUpdatesDeletesAndTheTestAccountFilter() {
    Map<String, Object> ann = row("customer_id", 1L, "name", "Ann", "email", "Ann@X.COM", "country", "DE");
    Map<String, Object> annMoved = row("customer_id", 1L, "name", "Ann", "email", "ann@y.com", "country", "FR");
    Map<String, Object> bob = row("customer_id", 2L, "name", "Bob", "email", "bob@x.com", "country", "US");
    Map<String, Object> cidTest = row("customer_id", 3L, "name", "Cid", "email", "cid@example.test", "country", "NL");
    Map<String, Object> cid = row("customer_id", 3L, "name", "Cid", "email", "cid@x.com", "country", "NL");
    Map<String, Object> dee = row("customer_id", 4L, "name", "Dee", "email", "dee@x.com", "country", "JP");
    Map<String, Object> deeTest = row("customer_id", 4L, "name", "Dee", "email", "dee@example.test", "country", "JP");
    assertThat(TransformerTestHarness.forTopic("customers").run(
            TransformerTestHarness.insert(ann), TransformerTestHarness.insert(bob), TransformerTestHarness.insert(cidTest),
            TransformerTestHarness.insert(dee), TransformerTestHarness.update(ann, annMoved),
            TransformerTestHarness.delete(bob), TransformerTestHarness.update(cidTest, cid),
            TransformerTestHarness.update(dee, deeTest)))
        .containsExactlyInAnyOrder(
            row("customer_id", 1L, "name", "Ann", "email", "ann@y.com", "country", "FR"),
            row("customer_id", 3L, "name", "Cid", "email", "cid@x.com", "country", "NL"));
  }
}
