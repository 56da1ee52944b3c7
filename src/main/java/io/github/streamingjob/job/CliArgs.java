package io.github.streamingjob.job;

import io.github.streamingjob.config.ConfigException;
import java.nio.file.Path;
import java.util.Optional;

/** Command-line flags of {@link StreamingJob}. */
public final class CliArgs {
  static final String USAGE =
      "usage: StreamingJob [--validate [--savepoint PATH]] [--config-dir DIR] [--properties FILE]";

  private final boolean validate;
  private final Path configDir;
  private final Path properties;
  private final String savepoint;

  private CliArgs(boolean validate, Path configDir, Path properties, String savepoint) {
    this.validate = validate;
    this.configDir = configDir;
    this.properties = properties;
    this.savepoint = savepoint;
  }

  public static CliArgs parse(String... args) {
    boolean validate = false;
    Path configDir = null;
    Path properties = null;
    String savepoint = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--validate":
          validate = true;
          break;
        case "--config-dir":
          configDir = Path.of(value(args, ++i, "--config-dir"));
          break;
        case "--properties":
          properties = Path.of(value(args, ++i, "--properties"));
          break;
        case "--savepoint":
          savepoint = value(args, ++i, "--savepoint");
          break;
        default:
          throw new ConfigException("unknown argument '" + args[i] + "'; " + USAGE);
      }
    }
    if (savepoint != null && !validate) {
      throw new ConfigException("--savepoint goes with --validate (a job restores from the savepoint Flink is given: "
          + "flink run -s, or Managed Flink's snapshot); " + USAGE);
    }
    return new CliArgs(validate, configDir, properties, savepoint);
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new ConfigException(flag + " needs a value; " + USAGE);
    }
    return args[i];
  }

  /** Plan and check everything, print it, connect to nothing, run nothing. */
  public boolean validate() {
    return validate;
  }

  /** With {@code --validate}: the savepoint (directory, local or {@code s3://}) a deployment would restore from. */
  public Optional<String> savepoint() {
    return Optional.ofNullable(savepoint);
  }

  /** Directory with topics.yaml and transformations.yaml; overrides the Job group and the bundled copy. */
  public Optional<Path> configDir() {
    return Optional.ofNullable(configDir);
  }

  /** A local properties file in MSF's shape; without it, MSF's property groups are used. */
  public Optional<Path> properties() {
    return Optional.ofNullable(properties);
  }
}
