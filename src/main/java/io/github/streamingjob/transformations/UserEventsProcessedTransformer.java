package io.github.streamingjob.transformations;

import io.github.streamingjob.transform.BaseTransformer;

/** User activity events with the event time converted to a timestamp. */
public class UserEventsProcessedTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT\n"
        + "  user_id,\n"
        + "  activity_type,\n"
        + "  page_url,\n"
        + "  TO_TIMESTAMP_LTZ(timestamp_ms, 3) AS activity_time,\n"
        + "  CURRENT_TIMESTAMP AS ingestion_time\n"
        + "FROM " + sourceTable;
  }

  @Override
  public String getDescription() {
    return "User activity events processing";
  }
}
