package io.github.streamingjob.testing;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;

/**
 * What the shipped windowed bid pipeline (bid-events-aggregated) wrote, read back for the fault tests: its window rows,
 * and the bids it kept in late_records instead of counting them. Each bid sent must be in exactly one of the two.
 */
public final class WindowedBids {
  public static final String PIPELINE = "bid-events-aggregated";
  private static final Pattern BID_ID = Pattern.compile("\"bid_id\":\"([^\"]+)\"");

  private WindowedBids() {}

  /** A window row as "user window_start count", window_start in epoch milliseconds. */
  public static String windowRow(Record r) {
    return r.getField("user_id") + " " + ((LocalDateTime) r.getField("window_start")).toInstant(ZoneOffset.UTC)
        .toEpochMilli() + " " + r.getField("bid_count");
  }

  /** The window table's rows as {@link #windowRow} lines, sorted: a window emitted twice shows. */
  public static List<String> windowRows(Catalog catalog, TableIdentifier windows) {
    if (!catalog.tableExists(windows)) {
      return List.of();
    }
    return IcebergTables.rows(catalog, windows).stream().map(WindowedBids::windowRow).sorted()
        .collect(Collectors.toList());
  }

  /** The pipeline's late records as they were read from Kafka (a reader idle past idle_timeout, say). */
  public static List<String> lateRecords(Catalog catalog, String namespace) {
    TableIdentifier id = TableIdentifier.of(namespace, "late_records");
    if (!catalog.tableExists(id)) {
      return List.of();
    }
    return IcebergTables.rows(catalog, id).stream().filter(r -> PIPELINE.equals(r.getField("pipeline")))
        .map(r -> (String) r.getField("record")).collect(Collectors.toList());
  }

  /** The bid id of each late record, one per record: a bid kept twice is there twice. */
  public static List<String> lateBidIds(Catalog catalog, String namespace) {
    List<String> ids = new ArrayList<>();
    for (String record : lateRecords(catalog, namespace)) {
      Matcher m = BID_ID.matcher(record);
      if (m.find()) {
        ids.add(m.group(1));
      }
    }
    return ids;
  }
}
