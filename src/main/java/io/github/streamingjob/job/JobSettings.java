package io.github.streamingjob.job;

import static io.github.streamingjob.config.RuntimeProperties.JOB_GROUP;

import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.RuntimeProperties;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

/** Job-wide settings from the {@code Job} property group. */
public final class JobSettings {
  private final Path configDir;
  private final List<String> topics;
  private final Integer parallelism;
  private final Duration checkpointInterval;
  private final ZoneId timeZone;
  private final boolean objectReuse;
  private final Role role;

  /**
   * What this deployment of the JAR runs ({@code Job.role}): the pipelines and their tables' maintenance in one job,
   * or either alone. Maintenance in a job of its own keeps compaction out of the pipelines' checkpoints, which
   * every table's commit waits for (docs/operations.md).
   */
  public enum Role {
    ALL, PIPELINES, MAINTENANCE;

    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private JobSettings(Path configDir, List<String> topics, Integer parallelism, Duration checkpointInterval,
      ZoneId timeZone, boolean objectReuse, Role role) {
    this.objectReuse = objectReuse;
    this.role = role;
    this.configDir = configDir;
    this.topics = List.copyOf(topics);
    this.parallelism = parallelism;
    this.checkpointInterval = checkpointInterval;
    this.timeZone = timeZone;
  }

  public static JobSettings from(RuntimeProperties props, Problems problems) {
    Path dir = props.get(JOB_GROUP, RuntimeProperties.CONFIG_DIR).map(Path::of).orElse(null);
    Integer parallelism = props.getInt(JOB_GROUP, RuntimeProperties.PARALLELISM, problems).orElse(null);
    if (parallelism != null && parallelism < 1) {
      problems.add(props.at(JOB_GROUP).key(RuntimeProperties.PARALLELISM), "must be at least 1");
    }
    Duration checkpoint = props.getDuration(JOB_GROUP, RuntimeProperties.CHECKPOINT_INTERVAL, problems).orElse(null);
    String zone = props.get(JOB_GROUP, RuntimeProperties.LOCAL_TIME_ZONE).orElse("UTC");
    ZoneId zoneId = ZoneId.of("UTC");
    try {
      zoneId = ZoneId.of(zone);
    } catch (java.time.DateTimeException e) {
      problems.add(props.at(JOB_GROUP).key(RuntimeProperties.LOCAL_TIME_ZONE), "'" + zone + "' is not a time zone");
    }
    String roleText = props.get(JOB_GROUP, RuntimeProperties.ROLE).orElse(Role.ALL.key()).trim();
    Role role = java.util.Arrays.stream(Role.values()).filter(r -> r.key().equalsIgnoreCase(roleText)).findFirst()
        .orElse(null);
    if (role == null) {
      problems.add(props.at(JOB_GROUP).key(RuntimeProperties.ROLE), "'" + roleText + "' is not a role: expected one of "
          + java.util.Arrays.stream(Role.values()).map(Role::key).collect(java.util.stream.Collectors.toList()));
      role = Role.ALL;
    }
    return new JobSettings(dir, props.getList(JOB_GROUP, RuntimeProperties.TOPICS), parallelism, checkpoint, zoneId,
        props.getBoolean(JOB_GROUP, RuntimeProperties.OBJECT_REUSE, true), role);
  }

  /** {@code Job.role}; {@link Role#ALL} unless set. */
  public Role role() {
    return role;
  }

  public Optional<Path> configDir() {
    return Optional.ofNullable(configDir);
  }

  /** If not empty, only these topics run (they must exist in topics.yaml), whatever their {@code enabled}. */
  public List<String> topics() {
    return topics;
  }

  public Optional<Integer> parallelism() {
    return Optional.ofNullable(parallelism);
  }

  /** Set for local runs and self-managed clusters; MSF configures checkpoints itself. */
  public Optional<Duration> checkpointInterval() {
    return Optional.ofNullable(checkpointInterval);
  }

  /** {@code pipeline.object-reuse}; on unless set to false. */
  public boolean objectReuse() {
    return objectReuse;
  }

  /** {@code table.local-time-zone}; UTC unless set, so TIMESTAMP_LTZ to TIMESTAMP never depends on the host. */
  public ZoneId timeZone() {
    return timeZone;
  }
}
