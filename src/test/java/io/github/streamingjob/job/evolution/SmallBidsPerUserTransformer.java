package io.github.streamingjob.job.evolution;

import io.github.streamingjob.transform.BaseTransformer;

/** The shipped per-user bid count with a WHERE added: a change whose window state carries over. */
public class SmallBidsPerUserTransformer extends BaseTransformer {
  /** Bids of this amount or more are not counted. */
  public static final int LIMIT = 500;

  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT user_id, COUNT(*) AS bid_count, window_start, window_end, CURRENT_TIMESTAMP AS ingestion_time\n"
        + "FROM TABLE(TUMBLE(TABLE " + sourceTable + ", DESCRIPTOR(event_time), INTERVAL '1' MINUTE))\n"
        + "WHERE amount < " + LIMIT + "\n"
        + "GROUP BY user_id, window_start, window_end";
  }
}
