package io.github.streamingjob.job.evolution;

import io.github.streamingjob.transform.BaseTransformer;

/** The shipped user activity with one more column, {@code referrer}. */
public class UserEventsWithReferrerTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT user_id, activity_type, page_url, TO_TIMESTAMP_LTZ(timestamp_ms, 3) AS activity_time,\n"
        + "  CURRENT_TIMESTAMP AS ingestion_time, referrer\n"
        + "FROM " + sourceTable;
  }
}
