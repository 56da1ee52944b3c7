package io.github.streamingjob.replay;

import io.github.streamingjob.catalog.CatalogSettings;
import io.github.streamingjob.catalog.IcebergCatalogs;
import io.github.streamingjob.config.ConfigException;
import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.JobConfig;
import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.RuntimeProperties;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.job.JobSettings;
import io.github.streamingjob.source.KafkaSettings;
import io.github.streamingjob.util.Secrets;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends a pipeline's dead letters back to Kafka, once the producer or the pipeline's decoding is fixed.
 * Each replayed record carries the header {@value #REPLAY_HEADER} = {@code topic/partition/offset} of the
 * original; before sending, the target topic is read from the oldest selected dead letter's time on, and
 * every record already replayed is skipped. So a re-run, or a run after a crash half-way, sends no record
 * twice, and needs no state beyond the topic itself.
 */
public final class ReplayDeadLetters {
  public static final String REPLAY_HEADER = "streamingjob-replay-of";
  static final String USAGE = "usage: ReplayDeadLetters --properties FILE --pipeline NAME [--config-dir DIR] "
      + "[--to-topic TOPIC] [--since TIME] [--until TIME] [--partition N] [--from-offset N] [--to-offset N] "
      + "[--bootstrap-servers HOSTS] [--dry-run]   (TIME: 2026-11-27T10:00:00, in the job's local.time.zone)";

  private final ReplayArgs args;
  private final RuntimeProperties props;
  private final PrintStream out;

  ReplayDeadLetters(ReplayArgs args, RuntimeProperties props, PrintStream out) {
    this.args = args;
    this.props = props;
    this.out = out;
  }

  public static void main(String[] argv) {
    ReplayArgs args;
    RuntimeProperties props;
    try {
      args = ReplayArgs.parse(argv);
      props = RuntimeProperties.fromFile(args.properties);
      if (args.bootstrapServers != null) {
        props = props.with(RuntimeProperties.KAFKA_GROUP, RuntimeProperties.BOOTSTRAP_SERVERS, args.bootstrapServers);
      }
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Secrets secrets = props.secrets();
    try {
      Result r = new ReplayDeadLetters(args, props, System.out).run();
      System.exit(r.failed == 0 ? 0 : 1);
    } catch (ConfigException e) {
      System.err.println("REFUSED: " + secrets.redact(e.getMessage()));
      System.exit(2);
    } catch (RuntimeException e) {
      System.err.println("FAILED: " + secrets.redact(e.toString()));
      System.exit(1);
    }
  }

  /** What a run did: dead letters selected, already replayed before, sent now, failed. */
  static final class Result {
    final int selected;
    final int alreadyReplayed;
    final int sent;
    final int failed;

    Result(int selected, int alreadyReplayed, int sent, int failed) {
      this.selected = selected;
      this.alreadyReplayed = alreadyReplayed;
      this.sent = sent;
      this.failed = failed;
    }
  }

  /** One dead letter: where the original record was, and its bytes. */
  static final class DeadLetter {
    final String topic;
    final int partition;
    final long offset;
    final LocalDateTime timestamp;
    final byte[] payload;
    final String error;

    DeadLetter(String topic, int partition, long offset, LocalDateTime timestamp, byte[] payload, String error) {
      this.topic = topic;
      this.partition = partition;
      this.offset = offset;
      this.timestamp = timestamp;
      this.payload = payload;
      this.error = error;
    }

    /** The replay id: the original record's coordinates, the same whichever pipeline dead-lettered it. */
    String id() {
      return topic + "/" + partition + "/" + offset;
    }
  }

  Result run() {
    Problems problems = new Problems();
    KafkaSettings kafka = KafkaSettings.from(props, problems);
    CatalogSettings catalogSettings = CatalogSettings.from(props, problems);
    JobSettings job = JobSettings.from(props, problems);
    problems.throwIfAny();
    JobConfig config = args.configDir != null ? ConfigLoader.load(args.configDir)
        : job.configDir().map(ConfigLoader::load).orElseGet(ConfigLoader::loadFromClasspath);
    TopicDef pipeline = config.topics().stream().filter(t -> t.name().equals(args.pipeline)).findFirst()
        .orElseThrow(() -> new ConfigException("--pipeline: '" + args.pipeline + "' is not a topic of topics.yaml"
            + Problems.didYouMean(args.pipeline, config.topics().stream().map(TopicDef::name).collect(Collectors.toList()))));
    String target = args.toTopic != null ? args.toTopic : pipeline.topic();

    Catalog catalog = IcebergCatalogs.load(catalogSettings);
    TableIdentifier table = TableIdentifier.of(catalogSettings.namespace(), pipeline.deadLetterTable());
    List<DeadLetter> selected = read(catalog, table, pipeline.name(), job.timeZone());
    Map<String, String> client = kafka.clientProperties();
    Set<String> replayed = selected.isEmpty() ? Set.of()
        : alreadyReplayed(client, target, selected.get(0).timestamp.atZone(job.timeZone()).toInstant()
            .minus(Duration.ofMinutes(5))); // producers' clocks may lag the broker's
    List<DeadLetter> toSend = selected.stream().filter(d -> !replayed.contains(d.id())).collect(Collectors.toList());
    out.printf("%d dead letter(s) of pipeline '%s' in %s selected; %d already replayed; %s %d to topic '%s'%n",
        selected.size(), pipeline.name(), table, selected.size() - toSend.size(), args.dryRun ? "would send" : "sending",
        toSend.size(), target);
    if (args.dryRun) {
      toSend.forEach(d -> out.printf("  %s  %s  %d bytes  %s  error: %s%n", d.id(), d.timestamp, d.payload.length,
          preview(d.payload), firstLine(d.error)));
      return new Result(selected.size(), selected.size() - toSend.size(), 0, 0);
    }
    int failed = send(client, target, toSend);
    out.printf("sent %d, failed %d%n", toSend.size() - failed, failed);
    return new Result(selected.size(), selected.size() - toSend.size(), toSend.size() - failed, failed);
  }

  /** The pipeline's dead letters within the requested time and offsets, in Kafka order. */
  List<DeadLetter> read(Catalog catalog, TableIdentifier id, String pipeline, ZoneId zone) {
    if (!catalog.tableExists(id)) {
      throw new ConfigException("dead-letter table " + id + " does not exist: the pipeline has kept no dead letter yet");
    }
    Table table = catalog.loadTable(id);
    Expression filter = Expressions.equal("pipeline", pipeline);
    if (args.partition != null) {
      filter = Expressions.and(filter, Expressions.equal("kafka_partition", args.partition));
    }
    if (args.fromOffset != null) {
      filter = Expressions.and(filter, Expressions.greaterThanOrEqual("kafka_offset", args.fromOffset));
    }
    if (args.toOffset != null) {
      filter = Expressions.and(filter, Expressions.lessThanOrEqual("kafka_offset", args.toOffset));
    }
    List<DeadLetter> rows = new ArrayList<>();
    try (CloseableIterable<Record> it = IcebergGenerics.read(table).where(filter).build()) {
      for (Record r : it) {
        LocalDateTime ts = (LocalDateTime) r.getField("kafka_timestamp");
        if ((args.since != null && ts.isBefore(args.since)) || (args.until != null && ts.isAfter(args.until))) {
          continue;
        }
        ByteBuffer payload = (ByteBuffer) r.getField("payload");
        byte[] bytes = new byte[payload == null ? 0 : payload.remaining()];
        if (payload != null) {
          payload.duplicate().get(bytes);
        }
        rows.add(new DeadLetter((String) r.getField("kafka_topic"), (Integer) r.getField("kafka_partition"),
            (Long) r.getField("kafka_offset"), ts, bytes, (String) r.getField("error")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    rows.sort(Comparator.comparing((DeadLetter d) -> d.timestamp).thenComparing(d -> d.partition)
        .thenComparingLong(d -> d.offset));
    return rows;
  }

  /** The replay ids of every record in the target topic since {@code from}. */
  static Set<String> alreadyReplayed(Map<String, String> client, String topic, Instant from) {
    Map<String, Object> config = new HashMap<>(client);
    config.put("enable.auto.commit", "false");
    // Replays are sent without transactions; read_committed could wait on another producer's open one.
    config.put("isolation.level", "read_uncommitted");
    Set<String> ids = new HashSet<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      Map<TopicPartition, Long> times = new HashMap<>();
      partitions.forEach(p -> times.put(p, from.toEpochMilli()));
      Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(times, Duration.ofSeconds(30));
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      List<TopicPartition> toRead = new ArrayList<>();
      for (TopicPartition p : partitions) {
        OffsetAndTimestamp start = starts.get(p);
        if (start != null && start.offset() < ends.get(p)) {
          toRead.add(p);
        }
      }
      consumer.assign(toRead);
      toRead.forEach(p -> consumer.seek(p, starts.get(p).offset()));
      Set<TopicPartition> done = new HashSet<>();
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      while (done.size() < toRead.size()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading " + topic + " for earlier replays took over 10 minutes; "
              + "narrow the selection with --since or --from-offset");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          Header h = r.headers().lastHeader(REPLAY_HEADER);
          if (h != null) {
            ids.add(new String(h.value(), StandardCharsets.UTF_8));
          }
        }
        for (TopicPartition p : toRead) {
          if (consumer.position(p) >= ends.get(p)) {
            done.add(p);
          }
        }
      }
    }
    return ids;
  }

  /** Sends each payload with its replay header, waits for every acknowledgement; the number that failed. */
  int send(Map<String, String> client, String topic, List<DeadLetter> letters) {
    Map<String, Object> config = new HashMap<>(client);
    config.put("acks", "all");
    config.put("enable.idempotence", "true");
    int failed = 0;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (DeadLetter d : letters) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, null, d.payload);
        record.headers().add(REPLAY_HEADER, d.id().getBytes(StandardCharsets.UTF_8));
        acks.add(producer.send(record));
      }
      producer.flush();
      for (int i = 0; i < acks.size(); i++) {
        try {
          acks.get(i).get();
        } catch (ExecutionException e) {
          failed++;
          out.println("  not sent: " + letters.get(i).id() + ": " + e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while sending", e);
        }
      }
    }
    return failed;
  }

  private static String preview(byte[] payload) {
    String s = new String(payload, StandardCharsets.UTF_8).replaceAll("\\s+", " ");
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  /** Command-line flags. */
  static final class ReplayArgs {
    Path properties;
    Path configDir;
    String pipeline;
    String toTopic;
    LocalDateTime since;
    LocalDateTime until;
    Integer partition;
    Long fromOffset;
    Long toOffset;
    String bootstrapServers;
    boolean dryRun;

    static ReplayArgs parse(String... argv) {
      ReplayArgs a = new ReplayArgs();
      for (int i = 0; i < argv.length; i++) {
        String flag = argv[i];
        if (flag.equals("--dry-run")) {
          a.dryRun = true;
          continue;
        }
        if (i + 1 >= argv.length) {
          throw new ConfigException(flag + " needs a value; " + USAGE);
        }
        String v = argv[++i];
        try {
          switch (flag) {
            case "--properties": a.properties = Path.of(v); break;
            case "--config-dir": a.configDir = Path.of(v); break;
            case "--pipeline": a.pipeline = v; break;
            case "--to-topic": a.toTopic = v; break;
            case "--since": a.since = LocalDateTime.parse(v); break;
            case "--until": a.until = LocalDateTime.parse(v); break;
            case "--partition": a.partition = Integer.parseInt(v); break;
            case "--from-offset": a.fromOffset = Long.parseLong(v); break;
            case "--to-offset": a.toOffset = Long.parseLong(v); break;
            case "--bootstrap-servers": a.bootstrapServers = v; break;
            default: throw new ConfigException("unknown argument '" + flag + "'; " + USAGE);
          }
        } catch (RuntimeException e) {
          if (e instanceof ConfigException) {
            throw e;
          }
          throw new ConfigException(flag + ": '" + v + "' is not valid (" + e.getMessage() + "); " + USAGE);
        }
      }
      if (a.properties == null || a.pipeline == null) {
        throw new ConfigException("--properties and --pipeline are required; " + USAGE);
      }
      return a;
    }
  }
}
