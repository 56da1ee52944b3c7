package io.github.streamingjob.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.catalog.CatalogSettings;
import io.github.streamingjob.config.ColumnDef;
import io.github.streamingjob.config.MaintenanceDef;
import io.github.streamingjob.config.SinkDef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.types.logical.BigIntType;
import org.junit.jupiter.api.Test;

class TableMaintenancePlanTest {
  static SinkDef table(MaintenanceDef m, List<String> primaryKey) {
    return new SinkDef("events", List.of(ColumnDef.physical("id", new BigIntType())), List.of(), primaryKey, Map.of(),
        m);
  }

  static MaintenanceDef enabled(Boolean on) {
    MaintenanceDef d = MaintenanceDef.DEFAULT;
    return new MaintenanceDef(on, d.checkEvery(), d.rewrite().orElseThrow(), d.targetFileSizeBytes(),
        d.minInputFiles(), d.deleteFileThreshold(), d.expire().orElseThrow(), d.expireOlderThan(), d.retainLast(),
        d.orphans().orElseThrow(), d.orphansOlderThan());
  }

  @Test
  void onByDefaultExceptOnS3TablesWhichMaintainsItsTablesItself() {
    SinkDef byDefault = table(MaintenanceDef.DEFAULT, List.of());
    for (CatalogSettings.Type type : List.of(CatalogSettings.Type.HADOOP, CatalogSettings.Type.GLUE,
        CatalogSettings.Type.REST)) {
      assertThat(TableMaintenancePlan.enabled(byDefault, type)).as(type.name()).isTrue();
    }
    assertThat(TableMaintenancePlan.enabled(byDefault, CatalogSettings.Type.S3TABLES)).isFalse();
    assertThat(TableMaintenancePlan.describe(byDefault, CatalogSettings.Type.S3TABLES, false, false))
        .isEqualTo("-- maintenance of events: off (the default on s3tables: the catalog maintains its tables itself)\n");
    // What the YAML says wins, both ways.
    assertThat(TableMaintenancePlan.enabled(table(enabled(true), List.of()), CatalogSettings.Type.S3TABLES)).isTrue();
    assertThat(TableMaintenancePlan.enabled(table(enabled(false), List.of()), CatalogSettings.Type.HADOOP)).isFalse();
    assertThat(TableMaintenancePlan.maintained(List.of(table(enabled(false), List.of()), byDefault),
        CatalogSettings.Type.HADOOP, false)).containsExactly(byDefault);
    // A bounded run must end with its input: no maintenance, whatever the catalog or the YAML.
    assertThat(TableMaintenancePlan.maintained(List.of(byDefault, table(enabled(true), List.of())),
        CatalogSettings.Type.HADOOP, true)).isEmpty();
    assertThat(TableMaintenancePlan.describe(byDefault, CatalogSettings.Type.HADOOP, true, false))
        .isEqualTo("-- maintenance of events: off (a bounded run ends with its input)\n");
  }

  @Test
  void validatePrintsEachTasksScheduleAndLimits() {
    String plan = TableMaintenancePlan.describe(table(MaintenanceDef.DEFAULT, List.of("id")),
        CatalogSettings.Type.GLUE, false, false);
    assertThat(plan).startsWith("-- maintenance of events: on, inside this job (the default on glue); the table is "
            + "checked every 1 min, one task at a time\n")
        .contains("--   rewrite data files every 10 commits: into files of 128 mb, a partition once it has 5 smaller "
            + "files, a data file once 10 delete files apply to it (deletes applied)\n")
        .contains("--   expire snapshots every 15 min: those older than 1 h, keeping the last 10\n");
    assertThat(plan).contains(TableMaintenancePlan.orphanCleanupAvailable()
        ? "--   delete orphan files every 1 d: unreferenced files older than 3 d\n"
        : "--   delete orphan files: not in this build (Iceberg 1.10");
  }

  @Test
  void aPipelinesOnlyJobNamesTheTablesItLeavesToTheMaintenanceJob() {
    assertThat(TableMaintenancePlan.describe(table(MaintenanceDef.DEFAULT, List.of()), CatalogSettings.Type.GLUE, false,
        true)).isEqualTo("-- maintenance of events: not in this job (Job.role = pipelines; a job of this JAR with "
            + "Job.role = maintenance keeps the table)\n");
    // A table no job maintains is off, whichever job is asked.
    assertThat(TableMaintenancePlan.describe(table(enabled(false), List.of()), CatalogSettings.Type.GLUE, false, true))
        .isEqualTo("-- maintenance of events: off (sink.maintenance.enabled)\n");
    assertThat(TableMaintenancePlan.describe(table(MaintenanceDef.DEFAULT, List.of()), CatalogSettings.Type.S3TABLES,
        false, true)).startsWith("-- maintenance of events: off (the default on s3tables");
  }

  @Test
  void orphanCleanupOnlyWhereIcebergListsTheCurrentMetadata() {
    String version = org.apache.iceberg.IcebergBuild.version();
    assertThat(TableMaintenancePlan.orphanCleanupAvailable()).as(version).isEqualTo(!version.startsWith("1.10."));
  }

  /**
   * The lock lives in one JVM, so the vertices that take it (the trigger manager's) and release it (the lock
   * remover's) must be in one co-location group; Flink reads it from each chain's head. One slot sharing group,
   * so maintenance needs no slot of its own.
   */
  @Test
  void theLockTakerAndReleaserShareASlot(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    org.apache.iceberg.hadoop.HadoopCatalog catalog = new org.apache.iceberg.hadoop.HadoopCatalog(
        new org.apache.hadoop.conf.Configuration(), dir.toUri().toString());
    catalog.createTable(org.apache.iceberg.catalog.TableIdentifier.of("ns", "events"), new org.apache.iceberg.Schema(
        org.apache.iceberg.types.Types.NestedField.required(1, "id", org.apache.iceberg.types.Types.LongType.get())));
    StreamExecutionEnvironment env = build();
    TableMaintenancePlan.appendTo(env, org.apache.iceberg.flink.CatalogLoader.hadoop("c",
        new org.apache.hadoop.conf.Configuration(), Map.of("warehouse", dir.toUri().toString())), "ns",
        List.of(table(MaintenanceDef.DEFAULT, List.of())));
    JobGraph graph = env.getStreamGraph().getJobGraph();
    JobVertex taker = vertex(graph, "Trigger manager");
    JobVertex releaser = vertex(graph, "Lock remover");
    assertThat(taker).isNotSameAs(releaser);
    assertThat(taker.getCoLocationGroup()).as("trigger manager's vertex co-located").isNotNull()
        .isSameAs(releaser.getCoLocationGroup());
    assertThat(taker.getSlotSharingGroup()).isSameAs(vertex(graph, "pipeline").getSlotSharingGroup());
  }

  private static JobVertex vertex(JobGraph graph, String nameContains) {
    for (JobVertex v : graph.getVertices()) {
      if (v.getName().contains(nameContains)) {
        return v;
      }
    }
    throw new AssertionError("no vertex named like '" + nameContains + "' in " + graph.getVertices());
  }

  private static StreamExecutionEnvironment build() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    env.fromSource(new NumberSequenceSource(0, 10), WatermarkStrategy.noWatermarks(), "numbers")
        .rebalance().map(x -> x + 1).name("pipeline")
        .sinkTo(new DiscardingSink<>()).name("sink");
    return env;
  }
}
