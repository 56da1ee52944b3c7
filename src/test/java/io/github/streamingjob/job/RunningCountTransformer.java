package io.github.streamingjob.job;

import io.github.streamingjob.transform.BaseTransformer;

/** Test transformer: a running count per user, an OVER aggregation, which Flink computes on inserts only. */
public class RunningCountTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT user_id, COUNT(*) OVER (PARTITION BY user_id ORDER BY pt "
        + "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS clicks FROM " + sourceTable;
  }
}
