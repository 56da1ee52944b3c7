package io.github.streamingjob.catalog;

import java.util.Map;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.catalog.CatalogDatabaseImpl;
import org.apache.flink.table.catalog.exceptions.DatabaseAlreadyExistException;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.flink.CatalogLoader;
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
    return create(settings.name(), settings.flinkCatalogProperties());
  }

  static FlinkCatalog create(String name, Map<String, String> flinkCatalogProperties) {
    return (FlinkCatalog) new Factory().create(name, flinkCatalogProperties, hadoopConf());
  }

  /**
   * Iceberg's factory, handed the Hadoop configuration instead of asking Flink for it. Its (name, properties,
   * conf) method is the one both Flink lines have: Iceberg's 1.20 runtime implements only the legacy
   * createCatalog(name, properties), the 2.x runtimes only createCatalog(Context).
   */
  private static final class Factory extends FlinkCatalogFactory {
    org.apache.flink.table.catalog.Catalog create(String name, Map<String, String> properties, Configuration conf) {
      return createCatalog(name, properties, conf);
    }
  }

  /**
   * The Hadoop configuration the catalog is built with. Iceberg's factory would ask Flink's HadoopUtils,
   * which a cluster loads parent-first, from Flink's own lib/: where that has no Hadoop (a Flink
   * distribution, Managed Flink) the job failed with NoClassDefFoundError for
   * org/apache/hadoop/conf/Configuration although the JAR carries Hadoop (ClusterDeploymentITCase). So:
   * the cluster's Hadoop configuration when Flink has Hadoop, else Hadoop's defaults from the JAR.
   */
  public static Configuration hadoopConf() {
    return flinkHasHadoop() ? FlinkCatalogFactory.clusterHadoopConf() : new Configuration();
  }

  private static boolean flinkHasHadoop() {
    try {
      Class.forName("org.apache.hadoop.conf.Configuration", false, TableEnvironment.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** Creates the namespace if missing and registers the catalog with Flink. */
  public static void register(TableEnvironment tableEnv, CatalogSettings settings, FlinkCatalog catalog) {
    ensureNamespace(catalog, settings.namespace());
    tableEnv.registerCatalog(settings.name(), catalog);
    LOG.info("Registered Iceberg catalog {}", settings);
  }

  /**
   * The serializable recipe for the same catalog, for operators that open tables on the TaskManagers (table
   * maintenance). Same properties and Hadoop configuration as {@link #create}; the choice of loader mirrors
   * Iceberg's factory, whose own method for it is not public.
   */
  public static CatalogLoader loader(CatalogSettings settings) {
    Map<String, String> p = settings.flinkCatalogProperties();
    Configuration conf = hadoopConf();
    String impl = p.get("catalog-impl");
    if (impl != null) {
      return CatalogLoader.custom(settings.name(), p, conf, impl);
    }
    String type = p.get("catalog-type");
    switch (type) {
      case "rest":
        return CatalogLoader.rest(settings.name(), conf, p);
      case "hadoop":
        return CatalogLoader.hadoop(settings.name(), conf, p);
      default:
        throw new IllegalStateException("unhandled catalog-type " + type);
    }
  }

  /** The Iceberg API view of the configured catalog, for tools that read the tables. */
  public static org.apache.iceberg.catalog.Catalog load(CatalogSettings settings) {
    return create(settings).catalog();
  }

  /**
   * Through Flink's catalog API: the Iceberg catalog behind a FlinkCatalog is wrapped in a caching catalog
   * that does not expose namespaces, so asking it created nothing and a REST or S3 Tables catalog then
   * refused the first table (ClusterDeploymentITCase).
   */
  static void ensureNamespace(FlinkCatalog catalog, String namespace) {
    try {
      if (!catalog.databaseExists(namespace)) {
        catalog.createDatabase(namespace, new CatalogDatabaseImpl(Map.of(), null), true);
        LOG.info("Created namespace {}", namespace);
      }
    } catch (DatabaseAlreadyExistException e) {
      throw new IllegalStateException("unreachable: createDatabase ignores an existing namespace", e);
    }
  }
}
