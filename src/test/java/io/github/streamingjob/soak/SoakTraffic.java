package io.github.streamingjob.soak;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * What the soak sends to the shipped configuration's four topics, at a steady rate, and what each of its tables must
 * hold because of it. One idempotent producer (acks=all) sends everything, so a change of a customer is acknowledged
 * after the ones before it; the soak requires every send acknowledged, which makes "sent" the oracle.
 */
final class SoakTraffic implements AutoCloseable {
  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  /** Event time runs 50 times faster than the producer: a minute's window closes every few seconds of the soak. */
  static final long EVENT_MS_PER_BID = 20;
  static final Map<String, Integer> TOPICS = Map.of("bid-events", 3, "user-activity", 2, "order-events", 2,
      "shop.public.customers", 2);
  static final int BID_PARTITIONS = TOPICS.get("bid-events");
  static final int USERS = 50;
  static final int CUSTOMERS = 200;
  static final String WINDOWS = io.github.streamingjob.testing.WindowedBids.PIPELINE;

  private final KafkaProducer<byte[], byte[]> producer;
  private final Random random;
  private final int bidsPerTick;
  private final AtomicLong sends = new AtomicLong();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private Thread thread;
  private volatile boolean running;

  // What was sent, guarded by this.
  private long next;
  /** Bid id to {"user amount", "user window_start"}; the clocks have no window. */
  private final Map<String, String[]> bids = new HashMap<>();
  private final List<String> activities = new ArrayList<>();
  private final List<String> orders = new ArrayList<>();
  /** A customer's last image (id name email country), or null once deleted. */
  private final Map<Long, String[]> customers = new TreeMap<>();
  private final List<String> deadLetters = new ArrayList<>();

  SoakTraffic(KafkaProducer<byte[], byte[]> producer, long seed, int bidsPerTick) {
    this.producer = producer;
    this.random = new Random(seed);
    this.bidsPerTick = bidsPerTick;
  }

  /** Sends a tick's worth every 100 ms until {@link #stop()}. */
  void start() {
    running = true;
    thread = new Thread(() -> {
      while (running) {
        tick();
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "soak-traffic");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops sending and waits for every send's acknowledgement. */
  void stop() throws InterruptedException {
    running = false;
    if (thread != null) {
      thread.join();
    }
    producer.flush();
  }

  /** Per tick: bids, half as many activities and orders, a few changes of customers, and now and then malformed records. */
  synchronized void tick() {
    for (int i = 0; i < bidsPerTick; i++, next++) {
      long n = next;
      long user = n % USERS;
      long ts = T0 + n * EVENT_MS_PER_BID;
      String amount = (n % 100) + ".5";
      bid((int) (n % BID_PARTITIONS), "b" + n, user, amount, ts, true);
      if (n % 2 == 0) {
        String url = "/a" + n;
        String type = n % 4 == 0 ? "view" : "click";
        activities.add(url + " " + user + " " + type);
        send("user-activity", null, null, String.format(
            "{\"user_id\":%d,\"activity_type\":\"%s\",\"page_url\":\"%s\",\"timestamp_ms\":%d}", user, type, url, ts));
        double orderAmount = n % 10 == 0 ? -1.0 : n + 0.25; // the transformer drops amounts that are not positive
        if (orderAmount > 0) {
          orders.add("o" + n + " " + user + " " + orderAmount);
        }
        send("order-events", null, null, String.format(
            "{\"order_id\":\"o%d\",\"user_id\":%d,\"amount\":%s,\"status\":\"NEW\",\"timestamp_ms\":%d}",
            n, user, orderAmount, ts));
      }
      if (n % 10 == 5) {
        changeCustomer(n);
      }
      if (n % 500 == 250) {
        String notJson = "not json " + n;
        send("bid-events", null, null, notJson);
        deadLetters.add("bid-events " + notJson);
        deadLetters.add(WINDOWS + " " + notJson);
        String badType = "{\"order_id\":\"bad" + n + "\",\"user_id\":\"seven\"}";
        send("order-events", null, null, badType);
        deadLetters.add("order-events " + badType);
      }
    }
  }

  /** A Debezium change of a random customer: created when absent, else updated or (one in five) deleted. */
  private void changeCustomer(long n) {
    long id = random.nextInt(CUSTOMERS);
    String[] before = customers.get(id);
    String[] after;
    String op;
    if (before == null) {
      op = "c";
      after = image(id, n);
    } else if (random.nextInt(5) == 0) {
      op = "d";
      after = null;
    } else {
      op = "u";
      after = image(id, n);
    }
    customers.put(id, after);
    // Keyed by the customer, as Debezium keys by the primary key: one partition keeps a customer's changes in order.
    send("shop.public.customers", null, Long.toString(id), "{\"before\":" + json(before) + ",\"after\":" + json(after)
        + ",\"op\":\"" + op + "\"}");
  }

  /** Some emails upper case (the transformer lowers them), some test accounts (it leaves them out). */
  private static String[] image(long id, long version) {
    String email = version % 7 == 0 ? "c" + id + "@example.test"
        : version % 3 == 0 ? "C" + id + "." + version + "@Shop.COM" : "c" + id + "." + version + "@shop.com";
    String[] countries = {"DE", "FR", "US", "JP"};
    return new String[] {Long.toString(id), "name " + version, email, countries[(int) (version % countries.length)]};
  }

  private static String json(String[] c) {
    return c == null ? "null" : String.format("{\"customer_id\":%s,\"name\":\"%s\",\"email\":\"%s\",\"country\":\"%s\"}",
        c[0], c[1], c[2], c[3]);
  }

  private void bid(int partition, String id, long user, String amount, long ts, boolean windowed) {
    bids.put(id, new String[] {id + " " + user + " " + Double.parseDouble(amount),
        windowed ? user + " " + (ts - ts % 60_000) : null});
    send("bid-events", partition, null, String.format(
        "{\"user_id\":%d,\"bid_id\":\"%s\",\"amount\":%s,\"timestamp_ms\":%d}", user, id, amount, ts));
  }

  /** One bid a day ahead on every partition of bid-events: the watermark passes every window of the bids sent. */
  synchronized void clocks() {
    for (int p = 0; p < BID_PARTITIONS; p++) {
      bid(p, "clock-" + p, 0, "0.5", T0 + 86_400_000L, false);
    }
    producer.flush();
  }

  private void send(String topic, Integer partition, String key, String value) {
    sends.incrementAndGet();
    producer.send(new ProducerRecord<>(topic, partition, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8)), (metadata, e) -> {
          if (e == null) {
            acknowledged.incrementAndGet();
          } else {
            failure.compareAndSet(null, e);
          }
        });
  }

  long sent() {
    return sends.get();
  }

  /** Sends not (yet) acknowledged: after {@link #stop()}, each one an exactness the soak cannot check. */
  long unacknowledged() {
    return sends.get() - acknowledged.get();
  }

  Exception failure() {
    return failure.get();
  }

  // ---- what the tables must hold, as sorted lines of the columns the events determine ----

  synchronized List<String> expected(String table, Set<String> lateBids) {
    switch (table) {
      case "bid_events_raw":
        return sorted(bids.values().stream().map(b -> b[0]));
      case "user_events_processed":
        return sorted(activities.stream());
      case "order_events_enriched":
        return sorted(orders.stream());
      case "customers":
        return sorted(customers.values().stream().filter(c -> c != null && !c[2].endsWith("@example.test"))
            .map(c -> c[0] + " " + c[1] + " " + c[2].toLowerCase(java.util.Locale.ROOT) + " " + c[3]));
      case "bid_events_aggregated":
        // One row per user and minute of event time: the count of its bids not kept as late.
        Map<String, Long> counts = bids.entrySet().stream()
            .filter(e -> e.getValue()[1] != null && !lateBids.contains(e.getKey()))
            .collect(Collectors.groupingBy(e -> e.getValue()[1], Collectors.counting()));
        return sorted(counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()));
      case "dead_letters":
        return sorted(deadLetters.stream());
      default:
        throw new IllegalArgumentException(table);
    }
  }

  synchronized boolean isBid(String id) {
    return bids.containsKey(id);
  }

  private static List<String> sorted(java.util.stream.Stream<String> lines) {
    return lines.sorted().collect(Collectors.toList());
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    if (thread != null) {
      thread.join();
    }
    producer.close();
  }
}
