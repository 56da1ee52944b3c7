package io.github.streamingjob.job;

import io.github.streamingjob.config.ConfigException;
import java.nio.file.Path;
import java.util.Optional;

/** Command-line flags of {@link StreamingJob}. */
public final class CliArgs {
  static final String USAGE = "usage: StreamingJob [--validate] [--config-dir DIR] [--properties FILE]";

  private final boolean validate;
  private final Path configDir;
  private final Path properties;

  private CliArgs(boolean validate, Path configDir, Path properties) {
    this.validate = validate;
    this.configDir = configDir;
    this.properties = properties;
  }

  public static CliArgs parse(String... args) {
    boolean validate = false;
    Path configDir = null;
    Path properties = null;
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
        default:
          throw new ConfigException("unknown argument '" + args[i] + "'; " + USAGE);
      }
    }
    return new CliArgs(validate, configDir, properties);
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

  /** Directory with topics.yaml and transformations.yaml; overrides the Job group and the bundled copy. */
  public Optional<Path> configDir() {
    return Optional.ofNullable(configDir);
  }

  /** A local properties file in MSF's shape; without it, MSF's property groups are used. */
  public Optional<Path> properties() {
    return Optional.ofNullable(properties);
  }
}
