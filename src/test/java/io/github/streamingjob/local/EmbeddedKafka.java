package io.github.streamingjob.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Apache Kafka broker in KRaft mode (combined broker + controller), running inside
 * this JVM, for tests and the local demo run.
 *
 * <p>It uses Kafka's own server classes ({@link KafkaRaftServer}, {@link Formatter}) rather than
 * Docker or Testcontainers, so it starts in a few seconds and needs nothing but the classpath.
 * Every instance gets its own free ports, node directory and cluster id, so several may run in
 * the same JVM, one after another or at the same time.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *     kafka.createTopic("orders", 3);
 *     kafka.send("orders", List.of("{\"id\":1}"));
 *     ... kafka.bootstrapServers() ...
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private static final int NODE_ID = 1;
  private static final String BROKER_LISTENER = "PLAINTEXT";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String HOST = "localhost";
  private static final long STARTUP_TIMEOUT_MS = 60_000;
  private static final long OPERATION_TIMEOUT_MS = 30_000;
  /** Free ports are picked before Kafka binds them, so another process may win the race. */
  private static final int START_ATTEMPTS = 3;

  private final KafkaRaftServer server;
  private final Path dataDir;
  private final String bootstrapServers;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedKafka(KafkaRaftServer server, Path dataDir, String bootstrapServers) {
    this.server = server;
    this.dataDir = dataDir;
    this.bootstrapServers = bootstrapServers;
  }

  /**
   * Formats a fresh temporary log directory, starts the broker and returns once it answers an
   * Admin {@code describeCluster} call.
   *
   * @throws IllegalStateException if the broker does not start or answer within 60 seconds
   */
  public static EmbeddedKafka start() {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce();
      } catch (RuntimeException e) {
        if (attempt >= START_ATTEMPTS || !causedBy(e, BindException.class)) {
          throw e;
        }
        LOG.warn("Embedded Kafka lost a port race (attempt {}), retrying with new ports", attempt);
      }
    }
  }

  private static EmbeddedKafka startOnce() {
    long startNanos = System.nanoTime();
    int brokerPort = freePort();
    int controllerPort = freePort();
    Path dataDir = createTempDir();
    KafkaRaftServer server = null;
    try {
      KafkaConfig config = new KafkaConfig(brokerConfig(dataDir, brokerPort, controllerPort), false);
      format(config, dataDir);
      // The constructor reads the meta.properties written by format(), so it must come after.
      server = new KafkaRaftServer(config, Time.SYSTEM);
      server.startup();
      String bootstrap = HOST + ":" + brokerPort;
      EmbeddedKafka kafka = new EmbeddedKafka(server, dataDir, bootstrap);
      kafka.awaitReady(startNanos);
      LOG.info("Embedded Kafka started on {} in {} ms (data in {})",
          bootstrap, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), dataDir);
      return kafka;
    } catch (RuntimeException e) {
      shutdownQuietly(server);
      deleteQuietly(dataDir);
      throw e;
    }
  }

  /** Broker settings: one node, so every replication factor and min ISR is 1. */
  private static Map<String, Object> brokerConfig(Path dataDir, int brokerPort, int controllerPort) {
    return brokerConfig(NODE_ID, NODE_ID + "@" + HOST + ":" + controllerPort, dataDir, brokerPort, controllerPort, 1);
  }

  /**
   * Settings of a node that is broker and controller (KRaft, static quorum {@code voters}); with {@code replicas}
   * brokers, every topic and internal topic is replicated to all and needs all but one in sync (at least 1).
   */
  public static Map<String, Object> brokerConfig(int nodeId, String voters, Path dataDir, int brokerPort,
      int controllerPort, int replicas) {
    String minInSync = String.valueOf(Math.max(1, replicas - 1));
    Map<String, Object> props = new HashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", String.valueOf(nodeId));
    props.put("controller.quorum.voters", voters);
    props.put("listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort + ","
        + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
    props.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort);
    props.put("listener.security.protocol.map",
        BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    props.put("inter.broker.listener.name", BROKER_LISTENER);
    props.put("log.dirs", dataDir.toString());
    props.put("num.partitions", "1");
    props.put("default.replication.factor", String.valueOf(replicas));
    props.put("min.insync.replicas", minInSync);
    props.put("offsets.topic.replication.factor", String.valueOf(replicas));
    // Fewer internal partitions: a consumer group's first join or a first transaction is faster.
    props.put("offsets.topic.num.partitions", "1");
    props.put("transaction.state.log.replication.factor", String.valueOf(replicas));
    props.put("transaction.state.log.min.isr", minInSync);
    props.put("transaction.state.log.num.partitions", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    // Tests should fail on a misspelt topic rather than silently write to a new one.
    props.put("auto.create.topics.enable", "false");
    // The cleaner's default 128 MB dedupe buffer would come out of the test JVM's heap.
    props.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
    return props;
  }

  private static void format(KafkaConfig config, Path dataDir) {
    format(config, dataDir, NODE_ID, Uuid.randomUuid().toString());
  }

  /** What {@code kafka-storage.sh format} does: writes meta.properties and the bootstrap checkpoint. */
  public static void format(KafkaConfig config, Path dataDir, int nodeId, String clusterId) {
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try (PrintStream printStream = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      new Formatter()
          .setPrintStream(printStream)
          .setNodeId(nodeId)
          .setClusterId(clusterId)
          .setDirectories(List.of(dataDir.toString()))
          .setMetadataLogDirectory(config.metadataLogDir())
          .setControllerListenerName(CONTROLLER_LISTENER)
          .run(); // latest production metadata.version; static quorum, so kraft.version 0
    } catch (Exception e) {
      throw new IllegalStateException("Cannot format the embedded Kafka log directory " + dataDir, e);
    }
    LOG.debug("Kafka storage formatter: {}", output.toString(StandardCharsets.UTF_8).trim());
  }

  private void awaitReady(long startNanos) {
    long deadline = startNanos + TimeUnit.MILLISECONDS.toNanos(STARTUP_TIMEOUT_MS);
    Exception last = null;
    try (Admin admin = newAdmin()) {
      while (System.nanoTime() < deadline) {
        try {
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("Interrupted while waiting for embedded Kafka", e);
        }
        sleep(100);
      }
    }
    throw new IllegalStateException("Embedded Kafka on " + bootstrapServers + " did not answer within "
        + STARTUP_TIMEOUT_MS + " ms", last);
  }

  /** The broker's client listener, e.g. {@code localhost:12345}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * Creates a topic with replication factor 1 and waits until the broker can serve it.
   * Does nothing if the topic already exists (whatever its partition count).
   */
  public void createTopic(String name, int partitions) {
    try (Admin admin = newAdmin()) {
      try {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
            .all().get(OPERATION_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        LOG.info("Created topic {} with {} partition(s)", name, partitions);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException("Cannot create topic " + name, e.getCause());
        }
        LOG.debug("Topic {} already exists", name);
      }
      // The controller acknowledges before the broker has applied the metadata; wait for it,
      // so that a consumer assigning partitions right away does not race the broker.
      awaitTopic(admin, name);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating topic " + name, e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Timed out creating topic " + name, e);
    }
  }

  private static void awaitTopic(Admin admin, String name) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OPERATION_TIMEOUT_MS);
    while (System.nanoTime() < deadline) {
      try {
        TopicDescription description = admin.describeTopics(List.of(name)).allTopicNames()
            .get(5, TimeUnit.SECONDS).get(name);
        if (description != null && description.partitions().stream().allMatch(p -> p.leader() != null)) {
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw new IllegalStateException("Cannot describe topic " + name, e.getCause());
        }
      }
      Thread.sleep(50);
    }
    throw new TimeoutException("Topic " + name + " has no leader after " + OPERATION_TIMEOUT_MS + " ms");
  }

  /** A new producer (acks=all, idempotent) for this broker; the caller closes it. */
  public KafkaProducer<byte[], byte[]> newProducer() {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // Stated, not defaulted: Kafka 4 clients (Flink 2.2 line) linger 5 ms by default where 3.x sent at once,
    // and then refuse a delivery timeout that does not cover linger + request timeout. Same on both lines.
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) OPERATION_TIMEOUT_MS);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) OPERATION_TIMEOUT_MS);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, OPERATION_TIMEOUT_MS);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends UTF-8 values with null keys (the producer picks partitions) and waits for every ack. */
  public void send(String topic, List<String> values) {
    sendTo(topic, null, values);
  }

  /** Sends UTF-8 values with null keys to one partition and waits for every ack. */
  public void send(String topic, int partition, List<String> values) {
    sendTo(topic, partition, values);
  }

  private void sendTo(String topic, Integer partition, List<String> values) {
    try (KafkaProducer<byte[], byte[]> producer = newProducer()) {
      List<Future<RecordMetadata>> acks = new ArrayList<>(values.size());
      for (String value : values) {
        byte[] bytes = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        acks.add(producer.send(new ProducerRecord<>(topic, partition, null, bytes)));
      }
      producer.flush();
      for (Future<RecordMetadata> ack : acks) {
        ack.get(OPERATION_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("Cannot send to topic " + topic, e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Timed out sending to topic " + topic, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while sending to topic " + topic, e);
    }
    LOG.debug("Sent {} record(s) to {}", values.size(), topic);
  }

  /** Stops the broker, waits for it and deletes its data directory. Later calls do nothing. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    shutdownQuietly(server);
    deleteQuietly(dataDir);
    LOG.info("Embedded Kafka on {} stopped", bootstrapServers);
  }

  private Admin newAdmin() {
    Map<String, Object> props = new HashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) OPERATION_TIMEOUT_MS);
    return Admin.create(props);
  }

  private static void shutdownQuietly(KafkaRaftServer server) {
    if (server == null) {
      return;
    }
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("Error while stopping embedded Kafka", e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getByName(HOST))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free port on " + HOST, e);
    }
  }

  private static Path createTempDir() {
    try {
      return Files.createTempDirectory("embedded-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a temporary directory", e);
    }
  }

  static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("Cannot delete {}", dir, e);
    }
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting for embedded Kafka", e);
    }
  }
}
