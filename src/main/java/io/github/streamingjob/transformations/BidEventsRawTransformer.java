package io.github.streamingjob.transformations;

import io.github.streamingjob.transform.BaseTransformer;

/** bid-events as they arrive, with the event time as a timestamp and the ingestion time. */
public class BidEventsRawTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT\n"
        + "  user_id,\n"
        + "  bid_id,\n"
        + "  amount,\n"
        + "  TO_TIMESTAMP_LTZ(timestamp_ms, 3) AS event_time,\n"
        + "  CURRENT_TIMESTAMP AS ingestion_time\n"
        + "FROM " + sourceTable;
  }

  @Override
  public String getDescription() {
    return "Raw bid events with event and ingestion time";
  }
}
