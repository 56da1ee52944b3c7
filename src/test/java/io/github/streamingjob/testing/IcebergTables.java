package io.github.streamingjob.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.ManifestContent;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/** Reads Iceberg tables back through Iceberg's own API, and waits on commits instead of sleeping. */
public final class IcebergTables {
  private IcebergTables() {}

  public static List<Record> rows(Catalog catalog, TableIdentifier id) {
    Table table = catalog.loadTable(id);
    table.refresh();
    List<Record> rows = new ArrayList<>();
    try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
      it.forEach(r -> rows.add(r.copy()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  /**
   * Every location the table's metadata records: the table, its current metadata file, and for every
   * snapshot its manifest list, manifests, data and delete files.
   */
  public static List<String> locations(Table table) {
    List<String> out = new ArrayList<>();
    out.add(table.location());
    if (table instanceof HasTableOperations) {
      out.add(((HasTableOperations) table).operations().current().metadataFileLocation());
    }
    for (Snapshot snapshot : table.snapshots()) {
      out.add(snapshot.manifestListLocation());
      for (ManifestFile manifest : snapshot.allManifests(table.io())) {
        out.add(manifest.path());
        try (CloseableIterable<? extends ContentFile<?>> files = manifest.content() == ManifestContent.DATA
            ? ManifestFiles.read(manifest, table.io(), table.specs())
            : ManifestFiles.readDeleteManifest(manifest, table.io(), table.specs())) {
          files.forEach(f -> out.add(f.path().toString()));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return out;
  }

  /** Polls the table's committed rows until the condition holds; fails with what it saw last. */
  public static List<Record> awaitRows(Catalog catalog, TableIdentifier id, Predicate<List<Record>> done,
      Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Record> last = List.of();
    while (System.nanoTime() < deadline) {
      if (catalog.tableExists(id)) {
        last = rows(catalog, id);
        if (done.test(last)) {
          return last;
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError("timed out after " + timeout + " waiting for " + id + "; last saw " + last.size()
        + " rows: " + last);
  }
}
