package io.github.streamingjob.local;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;

/**
 * One line per sink table: rows, snapshots, last commit. An append table's rows come from its metadata; a
 * keyed table (upsert or change data) is counted by reading it with its deletes applied, because a
 * snapshot's total counts every version of every row.
 */
public final class TableStatus {
  private TableStatus() {}

  public static List<String> lines(Catalog catalog, String namespace, List<String> tables) {
    return lines(catalog, namespace, tables, java.util.Map.of());
  }

  /**
   * As above, with each table's freshness where known: the age of the oldest record of its topic that no checkpoint
   * has taken in yet, 0 when all are in (the job's metric {@code freshnessSeconds}, measured alike).
   */
  public static List<String> lines(Catalog catalog, String namespace, List<String> tables,
      java.util.Map<String, Double> freshness) {
    List<String> lines = new ArrayList<>();
    for (String name : tables) {
      TableIdentifier id = TableIdentifier.of(Namespace.of(namespace), name);
      if (!catalog.tableExists(id)) {
        lines.add(String.format("  %-28s (not created yet)", name));
        continue;
      }
      Table table = catalog.loadTable(id);
      table.refresh();
      Snapshot current = table.currentSnapshot();
      int snapshots = 0;
      for (Snapshot ignored : table.snapshots()) {
        snapshots++;
      }
      boolean keyed = !table.schema().identifierFieldIds().isEmpty();
      Double fresh = freshness.get(name);
      lines.add(String.format(java.util.Locale.ROOT, "  %-28s rows=%-9s %-12s snapshots=%-5d last commit=%s", name,
          keyed ? liveRows(table) + " live" : Long.toString(rows(current)),
          fresh == null ? "" : String.format(java.util.Locale.ROOT, "fresh=%.1fs", fresh), snapshots,
          current == null ? "-" : Instant.ofEpochMilli(current.timestampMillis())));
    }
    return lines;
  }

  /** Rows a reader sees now: the current snapshot read with its equality and position deletes applied. */
  public static long liveRows(Table table) {
    if (table.currentSnapshot() == null) {
      return 0;
    }
    long n = 0;
    try (org.apache.iceberg.io.CloseableIterable<org.apache.iceberg.data.Record> rows =
        org.apache.iceberg.data.IcebergGenerics.read(table).build()) {
      for (org.apache.iceberg.data.Record ignored : rows) {
        n++;
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return n;
  }

  /** Rows in the current snapshot (Iceberg keeps the running total in the snapshot summary). */
  public static long rows(Snapshot snapshot) {
    if (snapshot == null) {
      return 0;
    }
    String total = snapshot.summary().get("total-records");
    return total == null ? 0 : Long.parseLong(total);
  }
}
