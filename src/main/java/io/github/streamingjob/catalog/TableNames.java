package io.github.streamingjob.catalog;

import io.github.streamingjob.config.Problems;
import java.util.regex.Pattern;

/**
 * The one rule for the names this job gives namespaces and tables in a catalog: first what every catalog needs
 * (one path segment: a directory warehouse makes each name a directory, and {@code ..} or {@code /} in it would
 * reach outside the warehouse), then the catalog's own published rules, which it would otherwise only enforce when
 * the job has started.
 */
public final class TableNames {
  /** What S3 Tables, Glue and most engines allow at most. */
  static final int MAX_LENGTH = 255;
  /** S3 Tables: lowercase letters, digits and underscores, starting and ending with a letter or digit. */
  private static final Pattern S3TABLES = Pattern.compile("[a-z0-9]([a-z0-9_]*[a-z0-9])?");
  /** Iceberg's Glue catalog (IcebergToGlueConverter): a database of 1 to 252, a table of 1 to 255 of these. */
  private static final Pattern GLUE = Pattern.compile("[a-z0-9_]+");
  private static final int GLUE_DATABASE_MAX_LENGTH = 252;
  /** A directory warehouse: a name that is an ordinary directory name on every file system Hadoop reaches. */
  private static final Pattern DIRECTORY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

  private TableNames() {}

  /**
   * Adds a problem at {@code at} when {@code name} cannot be a {@code what} ("table" or "namespace") in a catalog
   * of {@code type}; one problem per name, the first rule it breaks.
   */
  public static void check(String what, String name, CatalogSettings.Type type, Problems.At at, Problems problems) {
    String wrong = everywhere(name);
    if (wrong == null) {
      wrong = in(type, what, name);
    }
    if (wrong != null) {
      problems.add(at, "'" + name + "' is not a " + what + " name: " + wrong);
    }
  }

  /** What no catalog may be given: the reason, or null. */
  private static String everywhere(String name) {
    if (name.isEmpty()) {
      return "it is empty";
    }
    if (name.length() > MAX_LENGTH) {
      return "longer than " + MAX_LENGTH + " characters";
    }
    if (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0) {
      return "'/' and '\\' make it a path (a name is one segment of the warehouse)";
    }
    if (name.equals(".") || name.equals("..")) {
      return "'.' and '..' are path segments, not names";
    }
    if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return "control characters are not allowed";
    }
    if (!name.strip().equals(name)) {
      return "leading or trailing spaces are not allowed";
    }
    return null;
  }

  private static String in(CatalogSettings.Type type, String what, String name) {
    switch (type) {
      case S3TABLES:
        if (!S3TABLES.matcher(name).matches()) {
          return "S3 Tables takes lowercase letters, digits and underscores, starting and ending with a letter or "
              + "digit";
        }
        return what.equals("namespace") && name.startsWith("aws") ? "S3 Tables reserves the prefix 'aws'" : null;
      case GLUE:
        if (!GLUE.matcher(name).matches()) {
          return "Glue (Iceberg's Glue catalog) takes lowercase letters, digits and underscores";
        }
        return what.equals("namespace") && name.length() > GLUE_DATABASE_MAX_LENGTH
            ? "a Glue database name is at most " + GLUE_DATABASE_MAX_LENGTH + " characters" : null;
      case HADOOP:
        return DIRECTORY.matcher(name).matches() ? null
            : "a directory warehouse takes letters, digits, '_', '-' and '.', starting with a letter, digit or '_'";
      case REST:
      default:
        return null; // the REST protocol escapes any name; the rules above keep it one segment
    }
  }
}
