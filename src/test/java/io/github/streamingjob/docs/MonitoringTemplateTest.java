package io.github.streamingjob.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.JobConfig;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.metrics.JobMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * docs/cloudwatch/monitoring.json, the dashboard and alarms users import, stays true to the job: every metric it names
 * is one the job reports (or Managed Flink's own), and every shipped table and pipeline has its widgets and alarms.
 */
class MonitoringTemplateTest {
  static final Path TEMPLATE = Path.of("docs/cloudwatch/monitoring.json");
  static final Set<String> JOB_METRICS = Set.of(JobMetrics.FRESHNESS_SECONDS, JobMetrics.LAST_COMMIT_AGE_SECONDS,
      JobMetrics.ROWS_COMMITTED, JobMetrics.COMMITS, JobMetrics.RECORDS_READ, JobMetrics.MALFORMED_RECORDS,
      JobMetrics.LATE_RECORDS, JobMetrics.KAFKA_LAG_RECORDS);

  @SuppressWarnings("unchecked")
  static Map<String, Object> template() throws IOException {
    return new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(TEMPLATE));
  }

  @Test
  @SuppressWarnings("unchecked")
  void alarmsAndDashboardNameOnlyMetricsTheJobReportsForEveryShippedTableAndPipeline() throws Exception {
    Map<String, Object> resources = (Map<String, Object>) template().get("Resources");
    List<String> alarmMetrics = new ArrayList<>();
    List<String> alarmDimensions = new ArrayList<>();
    String dashboard = null;
    for (Object r : resources.values()) {
      Map<String, Object> resource = (Map<String, Object>) r;
      Map<String, Object> props = (Map<String, Object>) resource.get("Properties");
      if ("AWS::CloudWatch::Alarm".equals(resource.get("Type"))) {
        assertThat(props.get("Namespace")).isEqualTo("AWS/KinesisAnalytics");
        alarmMetrics.add((String) props.get("MetricName"));
        for (Object d : (List<Object>) props.get("Dimensions")) {
          Map<String, Object> dim = (Map<String, Object>) d;
          if (!"Application".equals(dim.get("Name"))) {
            alarmDimensions.add(props.get("MetricName") + " " + dim.get("Name") + "=" + dim.get("Value"));
          }
        }
      } else if ("AWS::CloudWatch::Dashboard".equals(resource.get("Type"))) {
        dashboard = (String) ((Map<String, Object>) props.get("DashboardBody")).get("Fn::Sub");
      }
    }
    assertThat(dashboard).as("a dashboard").isNotNull();
    List<String> widgetMetrics = new ArrayList<>();
    Matcher m = Pattern.compile("\"AWS/KinesisAnalytics\",\"([A-Za-z]+)\",\"Application\",\"\\$\\{ApplicationName}\""
        + "(?:,\"(Table|Pipeline)\",\"([^\"]+)\")?").matcher(dashboard);
    List<String> widgetDimensions = new ArrayList<>();
    while (m.find()) {
      widgetMetrics.add(m.group(1));
      if (m.group(2) != null) {
        widgetDimensions.add(m.group(1) + " " + m.group(2) + "=" + m.group(3));
      }
    }
    for (List<String> metrics : List.of(alarmMetrics, widgetMetrics)) {
      assertThat(metrics).isNotEmpty().allSatisfy(name -> assertThat(name).isIn(union(JOB_METRICS, Set.of("fullRestarts"))));
    }

    JobConfig shipped = ConfigLoader.load(Path.of("config"));
    List<TopicDef> topics = shipped.enabledTopics();
    assertThat(topics).isNotEmpty();
    for (TopicDef t : topics) {
      String table = t.sink().tableName();
      assertThat(alarmDimensions).as("alarms").contains(JobMetrics.FRESHNESS_SECONDS + " Table=" + table,
          JobMetrics.MALFORMED_RECORDS + " Pipeline=" + t.name());
      assertThat(widgetDimensions).as("widgets").contains(JobMetrics.FRESHNESS_SECONDS + " Table=" + table,
          JobMetrics.ROWS_COMMITTED + " Table=" + table, JobMetrics.KAFKA_LAG_RECORDS + " Pipeline=" + t.name(),
          JobMetrics.RECORDS_READ + " Pipeline=" + t.name(), JobMetrics.MALFORMED_RECORDS + " Pipeline=" + t.name());
      if (t.watermark().isPresent()) {
        assertThat(alarmDimensions).contains(JobMetrics.LATE_RECORDS + " Pipeline=" + t.name());
      }
    }
    assertThat(widgetMetrics.stream().collect(Collectors.toSet())).as("every metric of the job on the dashboard")
        .containsAll(JOB_METRICS.stream().filter(x -> !x.equals(JobMetrics.COMMITS)).collect(Collectors.toSet()));
  }

  static Set<String> union(Set<String> a, Set<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).collect(Collectors.toSet());
  }
}
