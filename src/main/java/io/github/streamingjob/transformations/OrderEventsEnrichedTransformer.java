package io.github.streamingjob.transformations;

import io.github.streamingjob.transform.BaseTransformer;

/** Orders with a positive amount, with order time and ingestion time. */
public class OrderEventsEnrichedTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT\n"
        + "  order_id,\n"
        + "  user_id,\n"
        + "  amount,\n"
        + "  status,\n"
        + "  TO_TIMESTAMP_LTZ(timestamp_ms, 3) AS order_time,\n"
        + "  CURRENT_TIMESTAMP AS ingestion_time\n"
        + "FROM " + sourceTable + "\n"
        + "WHERE amount > 0";
  }

  @Override
  public String getDescription() {
    return "Order events with enrichment and filtering";
  }
}
