package io.github.streamingjob.testing;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * A MiniCluster of two TaskManagers with two slots each, for tests that kill its TaskManagers: jobs restart
 * (fixed delay, 20 attempts, 500 ms), and the test can ask whether they did and whether they run again.
 */
public final class KillableMiniCluster implements AutoCloseable {
  private static final int TASK_MANAGERS = 2;

  private final MiniCluster cluster;
  /** MiniCluster indexes TaskManagers by start order and never reuses an index. */
  private int started = TASK_MANAGERS;

  private KillableMiniCluster(MiniCluster cluster) {
    this.cluster = cluster;
  }

  public static KillableMiniCluster start() throws Exception {
    return start(java.util.Map.of());
  }

  /** With {@code extra} settings (a metric reporter, say). */
  public static KillableMiniCluster start(java.util.Map<String, String> extra) throws Exception {
    Configuration conf = new Configuration();
    extra.forEach(conf::setString);
    conf.setString("rest.bind-port", "0"); // a local run or another build may hold 8081
    conf.setString("restart-strategy.type", "fixed-delay");
    conf.setString("restart-strategy.fixed-delay.attempts", "20");
    conf.setString("restart-strategy.fixed-delay.delay", "500 ms");
    MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
        .setNumTaskManagers(TASK_MANAGERS).setNumSlotsPerTaskManager(2).build());
    cluster.start();
    return new KillableMiniCluster(cluster);
  }

  public MiniCluster cluster() {
    return cluster;
  }

  /** Every TaskManager dies (so every task of a job does) and as many fresh ones join. */
  public void killAllTaskManagers() throws Exception {
    for (int i = started - TASK_MANAGERS; i < started; i++) {
      cluster.terminateTaskManager(i).get();
    }
    for (int i = 0; i < TASK_MANAGERS; i++) {
      cluster.startTaskManager();
    }
    started += TASK_MANAGERS;
  }

  /** The highest execution attempt of any task: 0 until the job has restarted. */
  public int maxAttempt(JobClient job) throws Exception {
    int max = 0;
    for (AccessExecutionVertex v : cluster.getExecutionGraph(job.getJobID()).get().getAllExecutionVertices()) {
      max = Math.max(max, v.getCurrentExecutionAttempt().getAttemptNumber());
    }
    return max;
  }

  /** Whether every task of the job runs (a savepoint needs them all). */
  public boolean allRunning(JobClient job) {
    try {
      for (AccessExecutionVertex v : cluster.getExecutionGraph(job.getJobID()).get().getAllExecutionVertices()) {
        if (v.getExecutionState() != ExecutionState.RUNNING) {
          return false;
        }
      }
      return true;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
