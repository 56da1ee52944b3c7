package io.github.streamingjob.local;

import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.TopicDef;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;
import org.apache.flink.table.types.logical.LogicalType;

/**
 * Sample JSON events that fit a topic's {@code source_schema}: values are chosen by column name where
 * the name says what it is (ids, amounts, timestamps, statuses), else by type. Some order amounts
 * are not positive, so the order filter has something to drop. A change-data topic gets Debezium
 * change events of a table it keeps: inserts, updates and deletes (each followed by its tombstone),
 * keyed by the row's key as Debezium does, some emails test addresses the shipped filter drops.
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

  /** A Kafka record: its key (null for plain topics) and value (null for a tombstone). */
  public static final class Event {
    public final String key;
    public final String value;

    Event(String key, String value) {
      this.key = key;
      this.value = value;
    }
  }

  private final java.util.Map<String, Changes> changes = new java.util.HashMap<>();

  /** The next record for the topic: a plain event, or for a change-data topic the next change. */
  public Event nextEvent(TopicDef topic, long eventTimeMillis) {
    if (!topic.changeData()) {
      return new Event(null, next(topic, eventTimeMillis));
    }
    return changes.computeIfAbsent(topic.name(), n -> new Changes(topic)).next(eventTimeMillis);
  }

  /** The table behind a change-data topic, and the Debezium events that change it. */
  private final class Changes {
    private final TopicDef topic;
    private final String keyColumn;
    private final java.util.TreeMap<Long, String> live = new java.util.TreeMap<>();
    private long nextId = 1;
    private Long tombstone;

    Changes(TopicDef topic) {
      this.topic = topic;
      this.keyColumn = topic.sink().primaryKey().get(0);
    }

    Event next(long eventTimeMillis) {
      if (tombstone != null) {
        Event e = new Event(key(tombstone), null);
        tombstone = null;
        return e;
      }
      int dice = random.nextInt(100);
      if (live.size() < 10 || dice < 40) {
        long id = nextId++;
        String row = row(id, eventTimeMillis);
        live.put(id, row);
        return change(id, "c", "null", row);
      }
      long id = live.keySet().stream().skip(random.nextInt(live.size())).findFirst().orElseThrow();
      String before = live.get(id);
      if (dice < 80) {
        String after = row(id, eventTimeMillis);
        live.put(id, after);
        return change(id, "u", before, after);
      }
      live.remove(id);
      tombstone = id;
      return change(id, "d", before, "null");
    }

    private Event change(long id, String op, String before, String after) {
      return new Event(key(id), "{\"before\":" + before + ",\"after\":" + after + ",\"op\":\"" + op + "\"}");
    }

    private String key(long id) {
      return "{\"" + keyColumn + "\":" + id + "}";
    }

    private String row(long id, long eventTimeMillis) {
      return object(topic, c -> {
        String name = c.name().toLowerCase(Locale.ROOT);
        if (c.name().equals(keyColumn)) {
          return Long.toString(id);
        } else if (name.contains("email")) {
          return quote("customer" + id + (random.nextInt(10) == 0 ? "@example.test" : "@Mail.example.com"));
        } else if (name.contains("country")) {
          return quote(COUNTRIES.get(random.nextInt(COUNTRIES.size())));
        } else if (name.equals("name")) {
          return quote(NAMES.get(random.nextInt(NAMES.size())) + " " + id);
        }
        return value(name, c.type().orElseThrow(), eventTimeMillis);
      });
    }
  }

  private static final List<String> COUNTRIES = List.of("DE", "FR", "NL", "US", "JP");
  private static final List<String> NAMES = List.of("Ann", "Bob", "Cid", "Dee", "Eve", "Fay");

  /** One event for the topic, with its event time at {@code eventTimeMillis}. */
  public String next(TopicDef topic, long eventTimeMillis) {
    sequence++;
    return object(topic, c -> value(c.name().toLowerCase(Locale.ROOT), c.type().orElseThrow(), eventTimeMillis));
  }

  /** A JSON object of the topic's physical columns, each with the JSON value {@code valueOf} gives it. */
  private static String object(TopicDef topic, Function<ColumnDef, String> valueOf) {
    StringBuilder json = new StringBuilder("{");
    for (ColumnDef c : topic.sourceSchema()) {
      if (c.isComputed()) {
        continue;
      }
      if (json.length() > 1) {
        json.append(',');
      }
      json.append('"').append(c.name()).append("\":").append(valueOf.apply(c));
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
