package io.github.streamingjob.local;

import io.github.streamingjob.catalog.CatalogSettings;
import io.github.streamingjob.catalog.IcebergCatalogs;
import io.github.streamingjob.config.Problems;
import io.github.streamingjob.job.CliArgs;
import io.github.streamingjob.job.JobSources;
import io.github.streamingjob.testing.IcebergTables;
import java.util.Comparator;
import java.util.List;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;

/** Prints every table of the configured namespace: row count, snapshots, and its last rows. */
public final class ShowTables {
  private static final int LAST_ROWS = 5;

  private ShowTables() {}

  public static void main(String[] args) {
    CliArgs cli = CliArgs.parse(args);
    Problems problems = new Problems();
    CatalogSettings settings = CatalogSettings.from(JobSources.fromArgs(cli).properties(), problems);
    problems.throwIfAny();
    Catalog catalog = IcebergCatalogs.load(settings);
    Namespace ns = Namespace.of(settings.namespace());
    List<TableIdentifier> tables = catalog.listTables(ns);
    if (tables.isEmpty()) {
      System.out.println("No tables in namespace '" + settings.namespace() + "' of " + settings.warehouse()
          + " (has the job run?)");
      return;
    }
    tables.sort(Comparator.comparing(TableIdentifier::name));
    for (TableIdentifier id : tables) {
      TableStatus.lines(catalog, settings.namespace(), List.of(id.name())).forEach(System.out::println);
      List<Record> rows = IcebergTables.rows(catalog, id);
      rows.subList(Math.max(0, rows.size() - LAST_ROWS), rows.size()).forEach(r -> System.out.println("      " + r));
    }
  }
}
