package io.github.streamingjob.transformations;

import io.github.streamingjob.transform.BaseTransformer;

/**
 * payments, Avro records whose schema is in a schema registry: the registry's fields (the entry gives no
 * source_schema), with the event time as a timestamp and the ingestion time.
 */
public class PaymentsTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT\n"
        + "  payment_id,\n"
        + "  user_id,\n"
        + "  amount,\n"
        + "  currency,\n"
        + "  TO_TIMESTAMP_LTZ(timestamp_ms, 3) AS event_time,\n"
        + "  CURRENT_TIMESTAMP AS ingestion_time\n"
        + "FROM " + sourceTable;
  }

  @Override
  public String getDescription() {
    return "Payments from Avro records of a schema registry, with event and ingestion time";
  }
}
