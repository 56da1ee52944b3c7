package io.github.streamingjob.job;

import io.github.streamingjob.transform.BaseTransformer;

/** Test transformer whose SQL names a column the source does not have. */
public class UnknownColumnTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT user_id, no_such_column FROM " + sourceTable + ";";
  }
}
