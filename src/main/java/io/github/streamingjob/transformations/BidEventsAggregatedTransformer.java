package io.github.streamingjob.transformations;

import io.github.streamingjob.transform.BaseTransformer;

/**
 * Bids per user per 1-minute tumbling event-time window. Uses the window TVF over the watermarked
 * {@code event_time} column declared in topics.yaml: the seed's legacy {@code GROUP BY TUMBLE(...)}
 * over an expression is rejected by Flink, as the expression is not a time attribute.
 */
public class BidEventsAggregatedTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT\n"
        + "  user_id,\n"
        + "  COUNT(*) AS bid_count,\n"
        + "  window_start,\n"
        + "  window_end,\n"
        + "  CURRENT_TIMESTAMP AS ingestion_time\n"
        + "FROM TABLE(TUMBLE(TABLE " + sourceTable + ", DESCRIPTOR(event_time), INTERVAL '1' MINUTE))\n"
        + "GROUP BY user_id, window_start, window_end";
  }

  @Override
  public String getDescription() {
    return "Bid counts per user per 1-minute window";
  }
}
