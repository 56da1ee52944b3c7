package io.github.streamingjob.catalog;

import org.apache.flink.table.api.TableEnvironment;
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
   * without registering it; creating it changes nothing in the catalog.
   */
  public static FlinkCatalog create(CatalogSettings settings) {
    return (FlinkCatalog) new FlinkCatalogFactory().createCatalog(settings.name(), settings.flinkCatalogProperties());
  }

  /** Creates the namespace if missing and registers the catalog with Flink. */
  public static void register(TableEnvironment tableEnv, CatalogSettings settings, FlinkCatalog catalog) {
    ensureNamespace(catalog.catalog(), settings.namespace());
    tableEnv.registerCatalog(settings.name(), catalog);
    LOG.info("Registered Iceberg catalog {}", settings);
  }

  /** The Iceberg API view of the configured catalog, for tools that read the tables. */
  public static org.apache.iceberg.catalog.Catalog load(CatalogSettings settings) {
    return create(settings).catalog();
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
