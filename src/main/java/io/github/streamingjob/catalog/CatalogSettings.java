package io.github.streamingjob.catalog;

import static io.github.streamingjob.config.RuntimeProperties.CATALOG_GROUP;

import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.RuntimeProperties;
import io.github.streamingjob.util.Secrets;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Which Iceberg catalog the sink tables live in, from the {@code IcebergCatalog} property group. */
public final class CatalogSettings {
  /** The catalogs this job can write to. */
  public enum Type {
    /** Amazon S3 Tables through its Iceberg catalog; warehouse = table bucket ARN. */
    S3TABLES,
    /** AWS Glue Data Catalog; warehouse = s3:// path. */
    GLUE,
    /** Any Iceberg REST catalog (S3 Tables serves one too); needs uri. */
    REST,
    /** A directory (local disk, HDFS, s3a://); for local runs and tests. */
    HADOOP;

    static String names() {
      return Arrays.stream(values()).map(t -> t.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    }
  }

  public static final String S3TABLES_CATALOG_IMPL = "software.amazon.s3tables.iceberg.S3TablesCatalog";
  public static final String GLUE_CATALOG_IMPL = "org.apache.iceberg.aws.glue.GlueCatalog";
  public static final String S3_FILE_IO = "org.apache.iceberg.aws.s3.S3FileIO";

  private final Type type;
  private final String name;
  private final String warehouse;
  private final String namespace;
  private final String uri;
  private final Map<String, String> extra;

  private CatalogSettings(Type type, String name, String warehouse, String namespace, String uri,
      Map<String, String> extra) {
    this.type = type;
    this.name = name;
    this.warehouse = warehouse;
    this.namespace = namespace;
    this.uri = uri;
    this.extra = Map.copyOf(extra);
  }

  /** Reads and checks the group; problems are recorded, and null returned, when it is unusable. */
  public static CatalogSettings from(RuntimeProperties props, Problems problems) {
    String typeText = props.require(CATALOG_GROUP, RuntimeProperties.CATALOG_TYPE, problems);
    String warehouse = props.require(CATALOG_GROUP, RuntimeProperties.WAREHOUSE, problems);
    String namespace = props.get(CATALOG_GROUP, RuntimeProperties.NAMESPACE).orElse("streaming");
    String name = props.get(CATALOG_GROUP, RuntimeProperties.CATALOG_NAME).orElse("iceberg");
    String uri = props.get(CATALOG_GROUP, RuntimeProperties.URI).orElse(null);
    Map<String, String> extra = new LinkedHashMap<>();
    props.group(CATALOG_GROUP).stringPropertyNames().stream()
        .filter(k -> k.startsWith(RuntimeProperties.CATALOG_PASSTHROUGH)).sorted()
        .forEach(k -> extra.put(k.substring(RuntimeProperties.CATALOG_PASSTHROUGH.length()),
            props.group(CATALOG_GROUP).getProperty(k)));
    if (typeText == null) {
      return null;
    }
    Type type;
    try {
      type = Type.valueOf(typeText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      problems.add(props.at(CATALOG_GROUP).key(RuntimeProperties.CATALOG_TYPE),
          "'" + typeText + "' is not a catalog type (expected one of: " + Type.names() + ")");
      return null;
    }
    if (type == Type.REST && uri == null) {
      problems.add(props.at(CATALOG_GROUP).key(RuntimeProperties.URI), "missing: catalog type 'rest' needs the uri");
    }
    if (type == Type.S3TABLES && warehouse != null && !warehouse.startsWith("arn:")) {
      problems.add(props.at(CATALOG_GROUP).key(RuntimeProperties.WAREHOUSE),
          "'" + warehouse + "' is not a table bucket ARN (arn:aws:s3tables:<region>:<account>:bucket/<name>)");
    }
    TableNames.check("namespace", namespace, type, props.at(CATALOG_GROUP).key(RuntimeProperties.NAMESPACE), problems);
    if (type == Type.HADOOP && warehouse != null) {
      warehouse = absoluteLocation(warehouse);
    }
    return warehouse == null ? null : new CatalogSettings(type, name, warehouse, namespace, uri, extra);
  }

  /**
   * A directory warehouse as an absolute URI. Iceberg writes the warehouse into every location of the
   * table metadata as given, so a relative one makes tables that no other engine can open and that
   * break when the job starts from another directory or the folder moves.
   */
  static String absoluteLocation(String warehouse) {
    URI uri;
    try {
      uri = new URI(warehouse);
    } catch (URISyntaxException e) {
      uri = null; // a plain path with characters a URI does not allow (spaces): resolve it as a path
    }
    String path;
    if (uri == null || uri.getScheme() == null) {
      path = warehouse;
    } else if (uri.getScheme().equals("file") && (uri.isOpaque() || !uri.getPath().startsWith("/"))) {
      path = uri.getSchemeSpecificPart(); // file:relative/dir
    } else {
      return warehouse; // already absolute: file:///..., hdfs://..., s3a://...
    }
    // Unescaped, as Hadoop's Path expects it: a space stays a space, not a directory named "%20".
    String absolute = "file://" + Path.of(path).toAbsolutePath().normalize().toUri().getPath();
    return absolute.endsWith("/") ? absolute.substring(0, absolute.length() - 1) : absolute;
  }

  public Type type() {
    return type;
  }

  /** The Flink catalog name the sink tables are addressed under. */
  public String name() {
    return name;
  }

  /** The table bucket ARN or warehouse location; a directory warehouse as an absolute URI. */
  public String warehouse() {
    return warehouse;
  }

  public String namespace() {
    return namespace;
  }

  /**
   * The warehouse as the root every table must lie under, for the catalogs whose tables lie where their names put
   * them under the warehouse (a directory warehouse; Glue, whose tables Iceberg places under it). S3 Tables and a
   * REST server choose their tables' locations themselves.
   */
  public java.util.Optional<String> locationRoot() {
    return type == Type.HADOOP || type == Type.GLUE ? java.util.Optional.of(warehouse) : java.util.Optional.empty();
  }

  /** Properties for Iceberg's {@code FlinkCatalogFactory}: one switch on the catalog type. */
  public Map<String, String> flinkCatalogProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("type", "iceberg");
    switch (type) {
      case S3TABLES:
        p.put("catalog-impl", S3TABLES_CATALOG_IMPL);
        break;
      case GLUE:
        p.put("catalog-impl", GLUE_CATALOG_IMPL);
        p.put("io-impl", S3_FILE_IO);
        break;
      case REST:
        p.put("catalog-type", "rest");
        p.put("uri", uri);
        break;
      case HADOOP:
        p.put("catalog-type", "hadoop");
        break;
      default:
        throw new IllegalStateException("unhandled catalog type " + type);
    }
    p.put("warehouse", warehouse);
    p.put("default-database", namespace);
    p.putAll(extra);
    return p;
  }

  /** The classes this catalog type loads at run time; {@code --validate} checks the JAR has them. */
  public List<String> requiredClasses() {
    switch (type) {
      case S3TABLES:
        return List.of(S3TABLES_CATALOG_IMPL, S3_FILE_IO, "software.amazon.awssdk.services.s3tables.S3TablesClient",
            "software.amazon.awssdk.services.s3.S3Client");
      case GLUE:
        return List.of(GLUE_CATALOG_IMPL, S3_FILE_IO, "software.amazon.awssdk.services.glue.GlueClient",
            "software.amazon.awssdk.services.s3.S3Client");
      case REST:
        return List.of("org.apache.iceberg.rest.RESTCatalog");
      default:
        return List.of("org.apache.iceberg.hadoop.HadoopCatalog");
    }
  }

  @Override
  public String toString() {
    return "CatalogSettings{type=" + type + ", name=" + name + ", warehouse=" + warehouse + ", namespace="
        + namespace + (uri == null ? "" : ", uri=" + Secrets.maskUri(uri)) + ", extra keys=" + extra.keySet() + "}";
  }
}
