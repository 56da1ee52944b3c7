package io.github.streamingjob.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.job.CliArgs;
import io.github.streamingjob.testing.IcebergTables;
import io.github.streamingjob.testing.PropertiesFile;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's run command, minus Maven: embedded broker, sample data, rows in all four tables. */
class LocalRunnerITCase {
  @TempDir Path dir;

  @Test
  void sampleDataReachesEverySinkTable() throws Exception {
    // The shipped application_properties.json (a warehouse relative to the working directory), with
    // faster commits.
    String relative = "target/local-runner-it-" + System.nanoTime();
    Path warehouse = Path.of(relative).toAbsolutePath();
    Path props = PropertiesFile.local("embedded", warehouse, "streaming").set("IcebergCatalog", "warehouse", relative)
        .set("Job", "parallelism", "1").set("Job", "checkpoint.interval", "2 s")
        .set("Local", "embedded.kafka", "true").set("Local", "sample.events.per.second", "300")
        .writeTo(dir.resolve("props.json"));
    long start = System.nanoTime();
    // The README promises a quiet start: every WARN or ERROR a local run logs is collected.
    org.apache.logging.log4j.core.LoggerContext ctx =
        (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
    java.io.StringWriter warnings = new java.io.StringWriter();
    org.apache.logging.log4j.core.appender.WriterAppender appender =
        org.apache.logging.log4j.core.appender.WriterAppender.createAppender(
            org.apache.logging.log4j.core.layout.PatternLayout.createDefaultLayout(), null, warnings, "warnings", false, true);
    appender.start();
    ctx.getConfiguration().getRootLogger().addAppender(appender, org.apache.logging.log4j.Level.WARN, null);
    ctx.updateLoggers();
    try (LocalRunner.Running run = LocalRunner.start(CliArgs.parse("--properties", props.toString()))) {
      assertThat(run.tables()).containsExactly("bid_events_raw", "user_events_processed", "order_events_enriched",
          "bid_events_aggregated", "customers", "late_records");
      // The windowed table last: the generator leaves a partition of bid-events quiet, and its windows close once
      // that partition is idle (watermark.idle_timeout, 30 s). A deadline for a loaded machine, not a target.
      while (!everyTableHasRows(run) && System.nanoTime() - start < 180_000_000_000L) {
        Thread.sleep(500);
      }
      System.out.printf("All six tables had rows %.1f s after start%n", (System.nanoTime() - start) / 1e9);
      run.status().forEach(System.out::println);
      assertThat(everyTableHasRows(run)).as(String.join("\n", run.status())).isTrue();
      assertThat(warnings.toString()).as("warnings of a local run").isEmpty();
      // The change-data table: one row per customer, deletes applied, test accounts filtered, and the
      // status line counts live rows, not every version ever written. Stopped first, so it holds still.
      run.close();
      Table customers = run.catalog().loadTable(TableIdentifier.of("streaming", "customers"));
      List<org.apache.iceberg.data.Record> live = IcebergTables.rows(run.catalog(), TableIdentifier.of("streaming", "customers"));
      assertThat(live).isNotEmpty().extracting(r -> r.getField("customer_id")).doesNotHaveDuplicates();
      assertThat(live).allSatisfy(r -> assertThat((String) r.getField("email")).doesNotEndWith("@example.test")
          .isEqualTo(((String) r.getField("email")).toLowerCase(java.util.Locale.ROOT)));
      java.util.Map<String, String> summary = customers.currentSnapshot().summary();
      assertThat(Long.parseLong(summary.getOrDefault("total-equality-deletes", "0"))
          + Long.parseLong(summary.getOrDefault("total-position-deletes", "0"))).as("deletes and updates applied").isPositive();
      assertThat(TableStatus.rows(customers.currentSnapshot())).as("rows ever written").isGreaterThan(live.size());
      assertThat(run.status()).anyMatch(l -> l.contains("customers") && l.contains("rows=" + live.size() + " live"));
      // Tables any engine can open, wherever it runs: the metadata holds absolute locations only.
      for (String name : run.tables()) {
        List<String> locations = IcebergTables.locations(run.catalog().loadTable(TableIdentifier.of("streaming", name)));
        String table = warehouse + "/streaming/" + name;
        assertThat(locations).hasSizeGreaterThan(4).allSatisfy(l -> {
          URI uri = URI.create(l); // Hadoop writes file:/x, Iceberg keeps the warehouse's file:///x: both absolute
          assertThat(uri.getScheme()).isEqualTo("file");
          assertThat(uri.getPath() + "/").startsWith(table + "/");
        });
      }
    } finally {
      ctx.getConfiguration().getRootLogger().removeAppender("warnings");
      ctx.updateLoggers();
      EmbeddedKafka.deleteQuietly(warehouse);
    }
  }

  private static boolean everyTableHasRows(LocalRunner.Running run) {
    for (String name : run.tables()) {
      TableIdentifier id = TableIdentifier.of("streaming", name);
      if (!run.catalog().tableExists(id)) {
        return false;
      }
      Table t = run.catalog().loadTable(id);
      t.refresh();
      Snapshot s = t.currentSnapshot();
      if (TableStatus.rows(s) == 0) {
        return false;
      }
    }
    return true;
  }
}
