package io.github.streamingjob.config;

import io.github.streamingjob.config.MaintenanceDef.Schedule;
import io.github.streamingjob.config.Problems.At;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.util.TimeUtils;

/** Reads {@code sink.maintenance}; what it leaves out keeps {@link MaintenanceDef#DEFAULT}'s value. */
final class MaintenanceParser {
  static final String ENABLED = "enabled";
  static final String CHECK_EVERY = "check_every";
  static final String REWRITE = "rewrite_data_files";
  static final String EXPIRE = "expire_snapshots";
  static final String ORPHANS = "delete_orphan_files";
  static final String EVERY_COMMITS = "every_commits";
  static final String EVERY = "every";
  static final String TARGET_FILE_SIZE = "target_file_size";
  static final String MIN_INPUT_FILES = "min_input_files";
  static final String DELETE_FILE_THRESHOLD = "delete_file_threshold";
  static final String OLDER_THAN = "older_than";
  static final String RETAIN_LAST = "retain_last";

  static final List<String> REWRITE_KEYS =
      List.of(ENABLED, EVERY_COMMITS, EVERY, TARGET_FILE_SIZE, MIN_INPUT_FILES, DELETE_FILE_THRESHOLD);
  static final List<String> EXPIRE_KEYS = List.of(ENABLED, EVERY_COMMITS, EVERY, OLDER_THAN, RETAIN_LAST);
  static final List<String> ORPHANS_KEYS = List.of(ENABLED, EVERY_COMMITS, EVERY, OLDER_THAN);

  private MaintenanceParser() {}

  static MaintenanceDef parse(Object value, At at, Problems problems) {
    MaintenanceDef d = MaintenanceDef.DEFAULT;
    if (value == null) {
      return d;
    }
    Map<String, Object> m = ConfigLoader.asMap(value, at, problems,
        "a mapping with keys " + List.of(ENABLED, CHECK_EVERY, REWRITE, EXPIRE, ORPHANS));
    if (m == null) {
      return d;
    }
    ConfigLoader.checkKeys(m, List.of(ENABLED, CHECK_EVERY, REWRITE, EXPIRE, ORPHANS), at, problems);
    Boolean enabled = bool(m.get(ENABLED), at.key(ENABLED), problems, null);
    Duration checkEvery = duration(m.get(CHECK_EVERY), at.key(CHECK_EVERY), problems, d.checkEvery());
    if (checkEvery.compareTo(Duration.ofSeconds(1)) < 0) {
      problems.add(at.key(CHECK_EVERY), "must be at least 1 s (Iceberg's monitor polls the table at most once a second)");
      checkEvery = d.checkEvery();
    }

    At r = at.key(REWRITE);
    Map<String, Object> rm = task(m.get(REWRITE), r, problems, REWRITE_KEYS);
    Schedule rewrite = schedule(rm, r, problems, d.rewrite().orElseThrow());
    long target = size(rm.get(TARGET_FILE_SIZE), r.key(TARGET_FILE_SIZE), problems, d.targetFileSizeBytes());
    int minInputFiles = count(rm.get(MIN_INPUT_FILES), r.key(MIN_INPUT_FILES), problems, d.minInputFiles(), 1);
    int deleteThreshold = count(rm.get(DELETE_FILE_THRESHOLD), r.key(DELETE_FILE_THRESHOLD), problems,
        d.deleteFileThreshold(), 1);

    At e = at.key(EXPIRE);
    Map<String, Object> em = task(m.get(EXPIRE), e, problems, EXPIRE_KEYS);
    Schedule expire = schedule(em, e, problems, d.expire().orElseThrow());
    Duration expireOlderThan = duration(em.get(OLDER_THAN), e.key(OLDER_THAN), problems, d.expireOlderThan());
    int retainLast = count(em.get(RETAIN_LAST), e.key(RETAIN_LAST), problems, d.retainLast(),
        MaintenanceDef.MIN_RETAIN_LAST, " (on restore the job looks for its last commit among the newest snapshots; "
            + "keeping fewer could make it commit a checkpoint twice)");

    At o = at.key(ORPHANS);
    Map<String, Object> om = task(m.get(ORPHANS), o, problems, ORPHANS_KEYS);
    Schedule orphans = schedule(om, o, problems, d.orphans().orElseThrow());
    Duration orphansOlderThan = duration(om.get(OLDER_THAN), o.key(OLDER_THAN), problems, d.orphansOlderThan());

    return new MaintenanceDef(enabled, checkEvery, rewrite, target, minInputFiles, deleteThreshold, expire,
        expireOlderThan, retainLast, orphans, orphansOlderThan);
  }

  private static Map<String, Object> task(Object value, At at, Problems problems, List<String> keys) {
    Map<String, Object> m = ConfigLoader.asMap(value, at, problems, "a mapping with keys " + keys);
    if (m == null) {
      return Map.of();
    }
    ConfigLoader.checkKeys(m, keys, at, problems);
    return m;
  }

  /** Null when the task is off; a task that sets one trigger has only that one. */
  private static Schedule schedule(Map<String, Object> m, At at, Problems problems, Schedule defaults) {
    if (Boolean.FALSE.equals(bool(m.get(ENABLED), at.key(ENABLED), problems, true))) {
      return null;
    }
    if (!m.containsKey(EVERY_COMMITS) && !m.containsKey(EVERY)) {
      return defaults;
    }
    Integer commits = m.containsKey(EVERY_COMMITS)
        ? count(m.get(EVERY_COMMITS), at.key(EVERY_COMMITS), problems, 1, 1) : null;
    Duration every = m.containsKey(EVERY) ? duration(m.get(EVERY), at.key(EVERY), problems, Duration.ofDays(1)) : null;
    return new Schedule(commits, every);
  }

  private static Boolean bool(Object v, At at, Problems problems, Boolean absent) {
    if (v == null) {
      return absent;
    }
    if (v instanceof Boolean) {
      return (Boolean) v;
    }
    problems.add(at, "expected true or false, got '" + v + "'");
    return absent;
  }

  private static Duration duration(Object v, At at, Problems problems, Duration absent) {
    String text = ConfigLoader.string(v, at, problems);
    if (text == null) {
      return absent;
    }
    try {
      Duration d = TimeUtils.parseDuration(text);
      if (d.isZero() || d.isNegative()) {
        problems.add(at, "'" + text + "' must be longer than zero");
        return absent;
      }
      return d;
    } catch (IllegalArgumentException e) {
      problems.add(at, "'" + text + "' is not a duration (e.g. '30 s', '10 min', '1 h', '3 d')");
      return absent;
    }
  }

  private static long size(Object v, At at, Problems problems, long absent) {
    String text = ConfigLoader.string(v, at, problems);
    if (text == null) {
      return absent;
    }
    try {
      long bytes = MemorySize.parse(text).getBytes();
      if (bytes < (1 << 20)) {
        problems.add(at, "'" + text + "' is under 1 mb; compaction into files that small would only add work");
        return absent;
      }
      return bytes;
    } catch (IllegalArgumentException e) {
      problems.add(at, "'" + text + "' is not a size (e.g. '128 mb', '1 gb')");
      return absent;
    }
  }

  private static int count(Object v, At at, Problems problems, int absent, int min) {
    return count(v, at, problems, absent, min, "");
  }

  private static int count(Object v, At at, Problems problems, int absent, int min, String why) {
    if (v == null) {
      return absent;
    }
    // Numbers arrive as text (ConfigLoader resolves no implicit numbers).
    String text = String.valueOf(v).trim();
    if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) < min) {
      problems.add(at, "expected a whole number of at least " + min + ", got '" + v + "'" + why);
      return absent;
    }
    return Integer.parseInt(text);
  }
}
