package io.github.streamingjob.catalog;

import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.flink.FlinkCatalog;
import org.apache.iceberg.flink.FlinkCatalogFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Registers the Iceberg catalog with Flink and makes sure the namespace exists. */
public final class IcebergCatalogs {
  private static final Logger LOG = LoggerFactory.getLogger(IcebergCatalogs.class);

  private IcebergCatalogs() {}

  /**
   * Creates the catalog through Iceberg's own factory (the one {@code CREATE CATALOG} would use),
   * registers it under {@link CatalogSettings#name()} and returns its Iceberg API view, used to
   * create and evolve the sink tables.
   */
  public static org.apache.iceberg.catalog.Catalog register(TableEnvironment tableEnv, CatalogSettings settings) {
    FlinkCatalog catalog = create(settings);
    register(tableEnv, settings, catalog);
    return catalog.catalog();
  }

  /** The catalog, created but not registered; creating it changes nothing in it. */
  public static FlinkCatalog create(CatalogSettings settings) {
    return (FlinkCatalog) flinkCatalog(settings);
  }

  /** Creates the namespace if missing and registers the catalog with Flink. */
  public static void register(TableEnvironment tableEnv, CatalogSettings settings, FlinkCatalog catalog) {
    ensureNamespace(catalog.catalog(), settings.namespace());
    tableEnv.registerCatalog(settings.name(), catalog);
    LOG.info("Registered Iceberg catalog {}", settings);
  }

  /** The Iceberg API view of the configured catalog, for tools that read the tables. */
  public static org.apache.iceberg.catalog.Catalog load(CatalogSettings settings) {
    return ((FlinkCatalog) flinkCatalog(settings)).catalog();
  }

  private static Catalog flinkCatalog(CatalogSettings settings) {
    return new FlinkCatalogFactory().createCatalog(settings.name(), settings.flinkCatalogProperties());
  }

  static void ensureNamespace(org.apache.iceberg.catalog.Catalog catalog, String namespace) {
    if (!(catalog instanceof SupportsNamespaces)) {
      return;
    }
    SupportsNamespaces namespaces = (SupportsNamespaces) catalog;
    Namespace ns = Namespace.of(namespace);
    if (!namespaces.namespaceExists(ns)) {
      try {
        namespaces.createNamespace(ns);
        LOG.info("Created namespace {}", namespace);
      } catch (AlreadyExistsException e) {
        // Another job created it meanwhile: fine.
      }
    }
  }
}
