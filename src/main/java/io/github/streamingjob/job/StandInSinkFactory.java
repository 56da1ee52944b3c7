package io.github.streamingjob.job;

import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkV2Provider;
import org.apache.flink.table.factories.DynamicTableSinkFactory;
import org.apache.flink.table.factories.FactoryUtil;

/**
 * Connector {@value #IDENTIFIER}: the sink the whole job is planned against before any table exists. It
 * takes what the Iceberg sink takes, with one difference that matters: a table without a primary key
 * accepts inserts only. Iceberg's append writer would write an update or a delete as one more row, so a
 * query that produces them (a change-data topic, an aggregation without windows) is refused here, by
 * Flink's planner, naming the sink, instead of corrupting the table.
 */
public final class StandInSinkFactory implements DynamicTableSinkFactory {
  public static final String IDENTIFIER = "streamingjob-stand-in";
  public static final ConfigOption<Boolean> CHANGES = ConfigOptions.key("accepts-changes").booleanType()
      .defaultValue(false).withDescription("Whether the table takes updates and deletes (it has a primary key).");

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of();
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of(CHANGES);
  }

  @Override
  public DynamicTableSink createDynamicTableSink(Context context) {
    FactoryUtil.TableFactoryHelper helper = FactoryUtil.createTableFactoryHelper(this, context);
    helper.validate();
    return new StandIn(helper.getOptions().get(CHANGES));
  }

  private static final class StandIn implements DynamicTableSink {
    private final boolean changes;

    StandIn(boolean changes) {
      this.changes = changes;
    }

    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requested) {
      return changes ? requested : ChangelogMode.insertOnly();
    }

    @Override
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
      return SinkV2Provider.of(new DiscardingSink<>());
    }

    @Override
    public DynamicTableSink copy() {
      return new StandIn(changes);
    }

    @Override
    public String asSummaryString() {
      return IDENTIFIER;
    }
  }
}
