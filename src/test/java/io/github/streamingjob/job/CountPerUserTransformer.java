package io.github.streamingjob.job;

import io.github.streamingjob.transform.BaseTransformer;

/** Test transformer: an aggregation without windows, whose counts are updated as rows arrive. */
public class CountPerUserTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT user_id, COUNT(*) AS clicks FROM " + sourceTable + " GROUP BY user_id";
  }
}
