package io.github.streamingjob.local;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;

/** One line per sink table: rows committed, snapshots, last commit. Read from Iceberg metadata only. */
public final class TableStatus {
  private TableStatus() {}

  public static List<String> lines(Catalog catalog, String namespace, List<String> tables) {
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
      lines.add(String.format("  %-28s rows=%-9d snapshots=%-5d last commit=%s", name, rows(current), snapshots,
          current == null ? "-" : Instant.ofEpochMilli(current.timestampMillis())));
    }
    return lines;
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
