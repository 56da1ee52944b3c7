package io.github.streamingjob.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.util.TimeUtils;

/**
 * How the job keeps one table healthy ({@code sink.maintenance}): compaction, snapshot expiry and orphan-file
 * cleanup, each on its own schedule. {@link #enabled()} is empty unless the YAML says; the catalog decides then
 * (on, except on S3 Tables, which maintains its tables itself).
 */
public final class MaintenanceDef {
  /** Every default, for tables the YAML says nothing about (dead-letter tables included). */
  public static final MaintenanceDef DEFAULT = new MaintenanceDef(null, Duration.ofMinutes(1),
      new Schedule(10, null), 128L << 20, 5, 10,
      new Schedule(null, Duration.ofMinutes(15)), Duration.ofHours(1), 10,
      new Schedule(null, Duration.ofDays(1)), Duration.ofDays(3));

  /**
   * The fewest snapshots expiry may keep. Iceberg's Flink committer finds its last commit on restore by walking
   * back from the newest snapshot; a rewrite can sit on top of it, so at least the last few must survive or a
   * restore would commit a checkpoint twice.
   */
  public static final int MIN_RETAIN_LAST = 5;

  private final Boolean enabled;
  private final Duration checkEvery;
  private final Schedule rewrite;
  private final long targetFileSizeBytes;
  private final int minInputFiles;
  private final int deleteFileThreshold;
  private final Schedule expire;
  private final Duration expireOlderThan;
  private final int retainLast;
  private final Schedule orphans;
  private final Duration orphansOlderThan;

  public MaintenanceDef(Boolean enabled, Duration checkEvery, Schedule rewrite, long targetFileSizeBytes,
      int minInputFiles, int deleteFileThreshold, Schedule expire, Duration expireOlderThan, int retainLast,
      Schedule orphans, Duration orphansOlderThan) {
    this.enabled = enabled;
    this.checkEvery = Objects.requireNonNull(checkEvery);
    this.rewrite = rewrite;
    this.targetFileSizeBytes = targetFileSizeBytes;
    this.minInputFiles = minInputFiles;
    this.deleteFileThreshold = deleteFileThreshold;
    this.expire = expire;
    this.expireOlderThan = Objects.requireNonNull(expireOlderThan);
    this.retainLast = retainLast;
    this.orphans = orphans;
    this.orphansOlderThan = Objects.requireNonNull(orphansOlderThan);
  }

  /** What the YAML said; empty means the catalog's default. */
  public Optional<Boolean> enabled() {
    return Optional.ofNullable(enabled);
  }

  /** How often the table is checked for new commits; also the shortest time between two maintenance runs. */
  public Duration checkEvery() {
    return checkEvery;
  }

  /** Compaction's schedule; empty when compaction is off. */
  public Optional<Schedule> rewrite() {
    return Optional.ofNullable(rewrite);
  }

  public long targetFileSizeBytes() {
    return targetFileSizeBytes;
  }

  /** A partition is compacted once it has this many files below the target size. */
  public int minInputFiles() {
    return minInputFiles;
  }

  /** Upsert tables: a data file with this many delete files against it is rewritten with the deletes applied. */
  public int deleteFileThreshold() {
    return deleteFileThreshold;
  }

  public Optional<Schedule> expire() {
    return Optional.ofNullable(expire);
  }

  public Duration expireOlderThan() {
    return expireOlderThan;
  }

  public int retainLast() {
    return retainLast;
  }

  public Optional<Schedule> orphans() {
    return Optional.ofNullable(orphans);
  }

  /** Only files older than this are orphans: younger ones may belong to a checkpoint not yet committed. */
  public Duration orphansOlderThan() {
    return orphansOlderThan;
  }

  /** When a task runs: after so many commits, or so long after its last run, whichever comes first. */
  public static final class Schedule {
    private final Integer everyCommits;
    private final Duration every;

    public Schedule(Integer everyCommits, Duration every) {
      if (everyCommits == null && every == null) {
        throw new IllegalArgumentException("a schedule needs every_commits or every");
      }
      this.everyCommits = everyCommits;
      this.every = every;
    }

    public Optional<Integer> everyCommits() {
      return Optional.ofNullable(everyCommits);
    }

    public Optional<Duration> every() {
      return Optional.ofNullable(every);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Schedule && Objects.equals(everyCommits, ((Schedule) o).everyCommits)
          && Objects.equals(every, ((Schedule) o).every);
    }

    @Override
    public int hashCode() {
      return Objects.hash(everyCommits, every);
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder();
      if (everyCommits != null) {
        s.append("every ").append(everyCommits).append(" commits");
      }
      if (every != null) {
        s.append(s.length() > 0 ? " or " : "").append("every ").append(TimeUtils.formatWithHighestUnit(every));
      }
      return s.toString();
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof MaintenanceDef)) {
      return false;
    }
    MaintenanceDef m = (MaintenanceDef) o;
    return Objects.equals(enabled, m.enabled) && checkEvery.equals(m.checkEvery) && Objects.equals(rewrite, m.rewrite)
        && targetFileSizeBytes == m.targetFileSizeBytes && minInputFiles == m.minInputFiles
        && deleteFileThreshold == m.deleteFileThreshold && Objects.equals(expire, m.expire)
        && expireOlderThan.equals(m.expireOlderThan) && retainLast == m.retainLast
        && Objects.equals(orphans, m.orphans) && orphansOlderThan.equals(m.orphansOlderThan);
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, checkEvery, rewrite, targetFileSizeBytes, minInputFiles, deleteFileThreshold, expire,
        expireOlderThan, retainLast, orphans, orphansOlderThan);
  }

  @Override
  public String toString() {
    return "MaintenanceDef{enabled=" + enabled + ", checkEvery=" + checkEvery + ", rewrite=" + rewrite
        + ", targetFileSizeBytes=" + targetFileSizeBytes + ", minInputFiles=" + minInputFiles
        + ", deleteFileThreshold=" + deleteFileThreshold + ", expire=" + expire + ", expireOlderThan="
        + expireOlderThan + ", retainLast=" + retainLast + ", orphans=" + orphans + ", orphansOlderThan="
        + orphansOlderThan + "}";
  }
}
