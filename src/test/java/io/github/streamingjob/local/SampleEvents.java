package io.github.streamingjob.local;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.TopicDef;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.flink.table.types.logical.LogicalType;

/**
 * Sample JSON events that fit a topic's {@code source_schema}: values are chosen by column name where
 * the name says what it is (ids, amounts, timestamps, statuses), else by type. Some order amounts
 * are not positive, so the order filter has something to drop.
 */
public final class SampleEvents {
  private static final List<String> ACTIVITIES = List.of("view", "click", "scroll", "purchase", "login");
  private static final List<String> STATUSES = List.of("created", "paid", "shipped", "cancelled");

  private final Random random;
  private final int users;
  private long sequence;

  public SampleEvents(long seed, int users) {
    this.random = new Random(seed);
    this.users = users;
  }

  /** One event for the topic, with its event time at {@code eventTimeMillis}. */
  public String next(TopicDef topic, long eventTimeMillis) {
    sequence++;
    StringBuilder json = new StringBuilder("{");
    for (ColumnDef c : topic.sourceSchema()) {
      if (c.isComputed()) {
        continue;
      }
      if (json.length() > 1) {
        json.append(',');
      }
      json.append('"').append(c.name()).append("\":").append(value(c.name().toLowerCase(Locale.ROOT),
          c.type().orElseThrow(), eventTimeMillis));
    }
    return json.append('}').toString();
  }

  private String value(String name, LogicalType type, long eventTimeMillis) {
    switch (type.getTypeRoot()) {
      case BIGINT:
      case INTEGER:
      case SMALLINT:
      case TINYINT:
        if (name.contains("timestamp") || name.endsWith("_ms") || name.endsWith("_time")) {
          return Long.toString(eventTimeMillis);
        }
        if (name.contains("user")) {
          return Integer.toString(1 + random.nextInt(users));
        }
        return Integer.toString(random.nextInt(1000));
      case DOUBLE:
      case FLOAT:
      case DECIMAL:
        if (name.contains("amount") || name.contains("price")) {
          // About one in ten is zero or negative: refunds, test orders.
          double v = random.nextInt(10) == 0 ? -random.nextInt(50) : 1 + random.nextInt(50_000) / 100.0;
          return Double.toString(v);
        }
        return Double.toString(random.nextDouble() * 100);
      case BOOLEAN:
        return Boolean.toString(random.nextBoolean());
      case TIMESTAMP_WITHOUT_TIME_ZONE:
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
        return quote(java.time.Instant.ofEpochMilli(eventTimeMillis).toString().replace("T", " ").replace("Z", ""));
      case CHAR:
      case VARCHAR:
        return quote(text(name));
      default:
        return "null";
    }
  }

  private String text(String name) {
    if (name.contains("activity") || name.contains("type")) {
      return ACTIVITIES.get(random.nextInt(ACTIVITIES.size()));
    }
    if (name.contains("status")) {
      return STATUSES.get(random.nextInt(STATUSES.size()));
    }
    if (name.contains("url")) {
      return "/page/" + random.nextInt(50);
    }
    if (name.endsWith("_id") || name.equals("id")) {
      return name.replace("_id", "") + "-" + sequence;
    }
    return name + "-" + random.nextInt(100);
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
