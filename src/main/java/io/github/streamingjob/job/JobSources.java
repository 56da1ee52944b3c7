package io.github.streamingjob.job;

import com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime;
import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.JobConfig;
import io.github.streamingjob.config.RuntimeProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Where the runtime properties and the YAML config come from: MSF, a local file, the JAR, a directory. */
public final class JobSources {
  private static final Logger LOG = LoggerFactory.getLogger(JobSources.class);
  /** Read from the working directory when neither --properties nor MSF property groups are there. */
  public static final String DEFAULT_PROPERTIES_FILE = "application_properties.json";

  private final RuntimeProperties properties;

  public JobSources(RuntimeProperties properties) {
    this.properties = properties;
  }

  /** --properties FILE; else MSF's property groups; else ./application_properties.json. */
  public static JobSources fromArgs(CliArgs cli) {
    if (cli.properties().isPresent()) {
      return new JobSources(RuntimeProperties.fromFile(cli.properties().get()));
    }
    Map<String, Properties> msf = msfProperties();
    if (!msf.isEmpty()) {
      return new JobSources(new RuntimeProperties("MSF runtime properties", msf));
    }
    Path local = Path.of(DEFAULT_PROPERTIES_FILE);
    if (Files.exists(local)) {
      return new JobSources(RuntimeProperties.fromFile(local));
    }
    return new JobSources(new RuntimeProperties("(no runtime properties found)", Map.of()));
  }

  private static Map<String, Properties> msfProperties() {
    try {
      Class.forName("com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime");
      Map<String, Properties> groups = KinesisAnalyticsRuntime.getApplicationProperties();
      return groups == null ? Map.of() : groups;
    } catch (ClassNotFoundException | IOException | RuntimeException e) {
      LOG.debug("No MSF runtime properties: {}", e.toString());
      return Map.of();
    }
  }

  public RuntimeProperties properties() {
    return properties;
  }

  /** --config-dir; else the Job group's config.dir; else the copy bundled in the JAR. */
  public JobConfig config(CliArgs cli, JobSettings job) {
    Path dir = cli.configDir().or(job::configDir).orElse(null);
    if (dir != null) {
      LOG.info("Loading config from {}", dir.toAbsolutePath());
      return ConfigLoader.load(dir);
    }
    LOG.info("Loading config bundled in the JAR (classpath:{})", ConfigLoader.CLASSPATH_DIR);
    return ConfigLoader.loadFromClasspath();
  }
}
