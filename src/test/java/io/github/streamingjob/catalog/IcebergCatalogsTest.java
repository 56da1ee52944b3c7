package io.github.streamingjob.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.flink.FlinkCatalog;
import org.junit.jupiter.api.Test;

class IcebergCatalogsTest {
  @Test
  void theNamespaceIsCreatedInACatalogThatNeedsOne() {
    // Iceberg's in-memory catalog, like REST and S3 Tables, refuses tables in a namespace it does not have.
    FlinkCatalog catalog = IcebergCatalogs.create("test",
        Map.of("type", "iceberg", "catalog-impl", "org.apache.iceberg.inmemory.InMemoryCatalog"));
    IcebergCatalogs.ensureNamespace(catalog, "streaming");
    IcebergCatalogs.ensureNamespace(catalog, "streaming"); // a second start finds it there
    assertThat(catalog.listDatabases()).containsExactly("streaming");
    // Why ensureNamespace goes through Flink's API: the Iceberg catalog it exposes is a caching wrapper
    // without namespace operations.
    assertThat(catalog.catalog()).isNotInstanceOf(SupportsNamespaces.class);
  }
}
