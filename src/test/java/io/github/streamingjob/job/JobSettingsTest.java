package io.github.streamingjob.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.RuntimeProperties;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class JobSettingsTest {
  private static RuntimeProperties job(String key, String value) {
    Properties p = new Properties();
    if (key != null) {
      p.setProperty(key, value);
    }
    return new RuntimeProperties("props.json", Map.of("Job", p));
  }

  @Test
  void roleIsAllUnlessSet() {
    Problems problems = new Problems();
    assertThat(JobSettings.from(job(null, null), problems).role()).isEqualTo(JobSettings.Role.ALL);
    assertThat(JobSettings.from(job("role", " Maintenance "), problems).role()).isEqualTo(JobSettings.Role.MAINTENANCE);
    assertThat(JobSettings.from(job("role", "pipelines"), problems).role()).isEqualTo(JobSettings.Role.PIPELINES);
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void anUnknownRoleIsNamedWithTheChoices() {
    Problems problems = new Problems();
    JobSettings.from(job("role", "ingest"), problems);
    assertThat(problems.messages()).containsExactly("props.json: property group 'Job': key 'role': 'ingest' is not a "
        + "role: expected one of [all, pipelines, maintenance]");
  }
}
