package io.github.streamingjob.job;

import io.github.streamingjob.transform.BaseTransformer;

/** Test transformer: the two columns of the broken-config suite's base topic, unchanged. */
public class CopyTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT user_id, url FROM " + sourceTable;
  }
}
