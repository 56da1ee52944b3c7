package io.github.streamingjob.testing.standin;

import io.github.streamingjob.local.EmbeddedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import kafka.server.KafkaConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A Kafka cluster of several KRaft nodes (each broker and controller, as in a small MSK cluster's view), each a
 * process of its own ({@code kafka.Kafka}, the broker's own entry point) on loopback: a node is killed with SIGKILL
 * and restarted on the same ports and data, so partitions move leaders and followers catch up as they do during a
 * broker failure or MSK's rolling patching. Topics are replicated to every node, min ISR all but one.
 */
public final class KafkaCluster implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);

  private final Path dir;
  private final List<Path> configs = new ArrayList<>();
  private final List<Integer> brokerPorts = new ArrayList<>();
  private final ChildJvm[] nodes;

  private KafkaCluster(Path dir, int size) {
    this.dir = dir;
    this.nodes = new ChildJvm[size];
  }

  /** Formats {@code size} nodes' data under {@code dir}, starts them and returns once every broker is registered. */
  public static KafkaCluster start(int size, Path dir) {
    KafkaCluster cluster = new KafkaCluster(dir, size);
    List<Integer> controllerPorts = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      cluster.brokerPorts.add(FlinkSessionCluster.freePort());
      controllerPorts.add(FlinkSessionCluster.freePort());
    }
    String voters = java.util.stream.IntStream.range(0, size)
        .mapToObj(i -> (i + 1) + "@localhost:" + controllerPorts.get(i)).collect(Collectors.joining(","));
    String clusterId = Uuid.randomUuid().toString();
    try {
      for (int i = 0; i < size; i++) {
        int node = i + 1;
        Path data = Files.createDirectories(dir.resolve("node-" + node));
        Map<String, Object> config = EmbeddedKafka.brokerConfig(node, voters, data, cluster.brokerPorts.get(i),
            controllerPorts.get(i), size);
        // A killed broker is fenced and its partitions move within seconds, as MSK's clients see it.
        config.put("broker.session.timeout.ms", "6000");
        config.put("broker.heartbeat.interval.ms", "1000");
        EmbeddedKafka.format(new KafkaConfig(config, false), data, node, clusterId);
        Properties p = new Properties();
        config.forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        Path file = dir.resolve("node-" + node + ".properties");
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
          p.store(w, "node " + node);
        }
        cluster.configs.add(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int node = 1; node <= size; node++) {
      cluster.launch(node);
    }
    cluster.awaitBrokers(size);
    return cluster;
  }

  private void launch(int node) {
    nodes[node - 1] = ChildJvm.start("kafka-" + node, List.of("-Xmx320m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1"), System.getProperty("java.class.path"), "kafka.Kafka",
        List.of(configs.get(node - 1).toString()), Map.of(), dir.resolve("node-" + node + ".out"));
  }

  public String bootstrapServers() {
    return brokerPorts.stream().map(p -> "localhost:" + p).collect(Collectors.joining(","));
  }

  /** Node ids, 1-based. */
  public int size() {
    return nodes.length;
  }

  /**
   * SIGKILL: the broker vanishes mid-request, as a crashed instance would. Returns once the controllers have fenced
   * it (its session expired), so its partitions have new leaders.
   */
  public void kill(int node) {
    nodes[node - 1].kill();
    await("node " + node + " fenced", () -> !brokers().contains(node));
  }

  /** Starts a killed node again on its ports and data; returns once it is registered and every replica in sync. */
  public void restart(int node, Set<String> topics) {
    nodes[node - 1].close();
    launch(node);
    await("node " + node + " registered again", () -> alive() && brokers().contains(node));
    awaitInSync(topics);
  }

  public boolean isAlive(int node) {
    return nodes[node - 1].isAlive();
  }

  /** The node leading a partition, as the cluster's metadata says now. */
  public int leaderOf(String topic, int partition) {
    try (Admin admin = admin()) {
      Node leader = describe(admin, topic).partitions().get(partition).leader();
      return leader == null ? -1 : leader.id();
    }
  }

  public void createTopic(String name, int partitions) {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) nodes.length))).all()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create topic " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    awaitInSync(Set.of(name));
  }

  /** Waits until every partition of these topics has a leader and all its replicas in sync. */
  public void awaitInSync(Set<String> topics) {
    await("every replica of " + topics + " in sync", () -> {
      try (Admin admin = admin()) {
        for (String topic : topics) {
          for (TopicPartitionInfo p : describe(admin, topic).partitions()) {
            if (p.leader() == null || p.isr().size() < p.replicas().size()) {
              return false;
            }
          }
        }
        return true;
      }
    });
  }

  /** A producer as careful producers are configured: every replica in sync acknowledges, idempotent. */
  public KafkaProducer<byte[], byte[]> newProducer() {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, TIMEOUT.toMillis());
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private Admin admin() {
    Map<String, Object> props = new HashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    return Admin.create(props);
  }

  private static TopicDescription describe(Admin admin, String topic) {
    try {
      return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot describe " + topic, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void awaitBrokers(int count) {
    await(count + " brokers registered", () -> alive() && brokers().size() == count);
  }

  /** The brokers registered and not fenced, by id. */
  private Set<Integer> brokers() throws Exception {
    try (Admin admin = admin()) {
      return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream().map(Node::id)
          .collect(Collectors.toSet());
    }
  }

  /** True, or an error with the output of a node that exited on its own. */
  private boolean alive() {
    for (ChildJvm n : nodes) {
      if (!n.isAlive()) {
        throw new IllegalStateException(n + " exited:\n" + n.tail(40));
      }
    }
    return true;
  }

  private void await(String what, java.util.concurrent.Callable<Boolean> condition) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.call()) {
          return;
        }
      } catch (IllegalStateException e) {
        if (e.getMessage() != null && e.getMessage().contains(" exited:")) {
          throw e;
        }
        last = e;
      } catch (Exception e) {
        last = e;
      }
      FlinkSessionCluster.sleep(200);
    }
    throw new IllegalStateException("Kafka cluster: timed out after " + TIMEOUT + " waiting for " + what, last);
  }

  @Override
  public void close() {
    for (ChildJvm n : nodes) {
      if (n != null) {
        n.kill(); // nothing to keep: the data directory goes with the test
      }
    }
  }
}
