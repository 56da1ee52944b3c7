package io.github.streamingjob.sink;

import io.github.streamingjob.config.ConfigException;
import io.github.streamingjob.config.SinkDef;
import io.github.streamingjob.util.Background;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.Transaction;
import org.apache.iceberg.UpdateSchema;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.TypeUtil;
import org.apache.iceberg.types.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates missing sink tables and adds the columns the YAML gained to existing ones. All tables are
 * checked before any is touched, so an incompatible table stops the job before it half-starts.
 */
public final class SinkTables {
  private static final Logger LOG = LoggerFactory.getLogger(SinkTables.class);

  private SinkTables() {}

  public static void ensure(Catalog catalog, String namespace, List<SinkDef> sinks) {
    check(catalog, namespace, sinks, Optional.empty()).apply();
  }

  /**
   * Reads the catalog only: which tables to create, which to evolve, and every problem, thrown
   * together. Nothing changes until {@link Changes#apply()}. With a {@code warehouse} (a catalog whose tables
   * lie where their names put them under it: a directory warehouse, Glue), every table, existing or to be created,
   * must lie under it: a table is never written anywhere else.
   */
  public static Changes check(Catalog catalog, String namespace, List<SinkDef> sinks, Optional<String> warehouse) {
    List<String> problems = new ArrayList<>();
    List<Runnable> actions = new ArrayList<>();
    List<String> descriptions = new ArrayList<>();
    for (SinkDef sink : sinks) {
      TableIdentifier id = TableIdentifier.of(Namespace.of(namespace), sink.tableName());
      Schema wanted = IcebergSinkTable.icebergSchema(sink);
      if (!catalog.tableExists(id)) {
        Catalog.TableBuilder builder = catalog.buildTable(id, wanted)
            .withPartitionSpec(IcebergSinkTable.partitionSpec(sink, wanted))
            .withProperties(sink.properties());
        if (warehouse.isPresent()) {
          // A create transaction knows the table's location and has written nothing yet.
          Transaction create = builder.createTransaction();
          if (outside(id, create.table().location(), warehouse.get(), "would be created at", problems)) {
            continue;
          }
          actions.add(() -> {
            create.commitTransaction();
            LOG.info("Created Iceberg table {}", id);
          });
        } else {
          actions.add(() -> {
            builder.create();
            LOG.info("Created Iceberg table {}", id);
          });
        }
        descriptions.add("table " + id + " to create");
        continue;
      }
      Table table = catalog.loadTable(id);
      if (warehouse.isPresent() && outside(id, table.location(), warehouse.get(), "lies at", problems)) {
        continue;
      }
      List<Consumer<UpdateSchema>> changes = evolution(id, table.schema(), wanted, problems);
      if (!changes.isEmpty()) {
        actions.add(() -> {
          UpdateSchema update = table.updateSchema();
          changes.forEach(c -> c.accept(update));
          update.commit();
          LOG.info("Evolved schema of Iceberg table {}: {}", id, table.schema());
        });
        descriptions.add("table " + id + " to evolve");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new Changes(actions, descriptions);
  }

  /** Tables to create and schemas to evolve, all checked; each touches its own table. */
  public static final class Changes {
    private final List<Runnable> actions;
    private final List<String> descriptions;

    private Changes(List<Runnable> actions, List<String> descriptions) {
      this.actions = List.copyOf(actions);
      this.descriptions = List.copyOf(descriptions);
    }

    /** Whether every table exists as the config has it. */
    public boolean isEmpty() {
      return actions.isEmpty();
    }

    @Override
    public String toString() {
      return String.join(", ", descriptions);
    }

    /** Applies the changes, in parallel: on a remote catalog each is a round trip or more. */
    public void apply() {
      Background.runAll("iceberg-table-setup", actions);
    }
  }

  private static boolean outside(TableIdentifier id, String location, String warehouse, String verb,
      List<String> problems) {
    if (under(location, warehouse)) {
      return false;
    }
    problems.add("table " + id + " " + verb + " " + location + ", outside the warehouse " + warehouse
        + "; the job writes no table anywhere else (nothing was created or written)");
    return true;
  }

  /** Whether {@code location} is {@code warehouse} or below it, once both are normalized ({@code ..} resolved). */
  static boolean under(String location, String warehouse) {
    URI l = new org.apache.hadoop.fs.Path(location).toUri().normalize();
    URI w = new org.apache.hadoop.fs.Path(warehouse).toUri().normalize();
    String root = w.getPath().endsWith("/") ? w.getPath() : w.getPath() + "/";
    return scheme(l).equals(scheme(w)) && Objects.equals(emptyToNull(l.getAuthority()), emptyToNull(w.getAuthority()))
        && (l.getPath() + "/").startsWith(root);
  }

  private static String scheme(URI uri) {
    String s = uri.getScheme() == null ? "file" : uri.getScheme();
    return s.equals("s3a") || s.equals("s3n") ? "s3" : s;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** Columns to add or widen; anything Iceberg cannot do safely is a problem naming the column. */
  static List<Consumer<UpdateSchema>> evolution(TableIdentifier id, Schema existing, Schema wanted,
      List<String> problems) {
    List<Consumer<UpdateSchema>> changes = new ArrayList<>();
    for (Types.NestedField field : wanted.columns()) {
      Types.NestedField current = existing.findField(field.name());
      if (current == null) {
        changes.add(u -> u.addColumn(field.name(), field.type()));
        continue;
      }
      Type from = current.type();
      Type to = field.type();
      if (from.equals(to)) {
        continue;
      }
      if (from.isPrimitiveType() && to.isPrimitiveType() && TypeUtil.isPromotionAllowed(from, to.asPrimitiveType())) {
        changes.add(u -> u.updateColumn(field.name(), to.asPrimitiveType()));
      } else {
        problems.add("table " + id + ": column '" + field.name() + "' is " + from + " in the existing table but "
            + to + " in sink.schema; Iceberg can only widen int->long, float->double and decimal precision "
            + "(rename the column or write to a new table)");
      }
    }
    return changes;
  }
}
