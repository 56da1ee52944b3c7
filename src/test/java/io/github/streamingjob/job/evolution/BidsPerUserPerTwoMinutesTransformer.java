package io.github.streamingjob.job.evolution;

import io.github.streamingjob.transform.BaseTransformer;

/** The shipped per-user bid count with a window twice as long: a change whose window state cannot carry over. */
public class BidsPerUserPerTwoMinutesTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT user_id, COUNT(*) AS bid_count, window_start, window_end, CURRENT_TIMESTAMP AS ingestion_time\n"
        + "FROM TABLE(TUMBLE(TABLE " + sourceTable + ", DESCRIPTOR(event_time), INTERVAL '2' MINUTE))\n"
        + "GROUP BY user_id, window_start, window_end";
  }
}
