package io.github.streamingjob.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.RuntimeProperties;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class CatalogSettingsTest {
  private static CatalogSettings catalog(String type, String warehouse) {
    Properties p = new Properties();
    p.setProperty("type", type);
    p.setProperty("warehouse", warehouse);
    Problems problems = new Problems();
    CatalogSettings settings = CatalogSettings.from(new RuntimeProperties("test", Map.of("IcebergCatalog", p)), problems);
    assertThat(problems.messages()).isEmpty();
    return settings;
  }

  @Test
  void relativeDirectoryWarehouseBecomesAnAbsoluteFileUri() {
    String expected = "file://" + Path.of("target/local-warehouse").toAbsolutePath();
    assertThat(expected).startsWith("file:///");
    assertThat(catalog("hadoop", "target/local-warehouse").warehouse()).isEqualTo(expected);
    assertThat(catalog("hadoop", "./target/../target/local-warehouse/").warehouse()).isEqualTo(expected);
    assertThat(catalog("hadoop", "file:target/local-warehouse").warehouse()).isEqualTo(expected);
    assertThat(catalog("hadoop", "target/local-warehouse").flinkCatalogProperties()).containsEntry("warehouse", expected);
  }

  @Test
  void absoluteAndRemoteWarehousesAreKeptAsWritten() {
    assertThat(catalog("hadoop", "file:///tmp/wh").warehouse()).isEqualTo("file:///tmp/wh");
    assertThat(catalog("hadoop", "s3a://bucket/wh").warehouse()).isEqualTo("s3a://bucket/wh");
    assertThat(catalog("hadoop", "hdfs://nn:8020/wh").warehouse()).isEqualTo("hdfs://nn:8020/wh");
    assertThat(catalog("glue", "s3://bucket/wh").warehouse()).isEqualTo("s3://bucket/wh");
    assertThat(catalog("s3tables", "arn:aws:s3tables:eu-west-1:123456789012:bucket/demo").warehouse())
        .isEqualTo("arn:aws:s3tables:eu-west-1:123456789012:bucket/demo");
  }

  @Test
  void aPlainAbsolutePathBecomesAFileUri() {
    assertThat(catalog("hadoop", "/tmp/my warehouse").warehouse()).isEqualTo("file:///tmp/my warehouse");
  }
}
