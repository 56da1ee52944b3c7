package io.github.streamingjob.transformations;

import io.github.streamingjob.transform.BaseTransformer;

/**
 * A change-data pipeline: the customers table as it is now, without test accounts. A filter and a
 * projection keep the changelog: a customer whose email becomes a test address is deleted from the table,
 * one whose email stops being one comes back.
 */
public class CustomersTransformer extends BaseTransformer {
  @Override
  public String getTransformationSql(String sourceTable) {
    return "SELECT\n"
        + "  customer_id,\n"
        + "  name,\n"
        + "  LOWER(email) AS email,\n"
        + "  country\n"
        + "FROM " + sourceTable + "\n"
        + "WHERE email NOT LIKE '%@example.test'";
  }

  @Override
  public String getDescription() {
    return "Current customers, test accounts left out, emails in lower case";
  }
}
