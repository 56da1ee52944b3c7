package io.github.streamingjob.maintenance;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.iceberg.flink.maintenance.api.TriggerLockFactory;

/**
 * The lock Iceberg's table maintenance takes so that one table's tasks never run at once, kept in the memory of
 * the TaskManager that runs them: no database, no ZooKeeper, nothing to provision on Managed Flink.
 *
 * <p>It holds because only one job maintains a table (this one) and {@link TableMaintenancePlan} co-locates the
 * two operators that use it, Iceberg's trigger manager (takes it) and lock remover (releases it), in one slot.
 * A restart needs no stale-lock cleanup from us: a fresh start clears the lock, and a restore makes the trigger
 * manager wait for a recovery marker that releases it (Iceberg's own protocol). What it cannot do is keep a
 * second job (another deployment, a Spark job) off the same table; see docs/operations.md.
 */
public final class JobLocalLockFactory implements TriggerLockFactory {
  private static final long serialVersionUID = 1L;
  /** Per user-code class loader, so per job even where a session cluster runs several in one JVM. */
  private static final Map<String, AtomicBoolean> LOCKS = new ConcurrentHashMap<>();

  private final String key;

  public JobLocalLockFactory(String key) {
    this.key = key;
  }

  @Override
  public void open() {}

  @Override
  public Lock createLock() {
    return new InMemoryLock(LOCKS.computeIfAbsent(key + "/run", k -> new AtomicBoolean()));
  }

  @Override
  public Lock createRecoveryLock() {
    return new InMemoryLock(LOCKS.computeIfAbsent(key + "/recovery", k -> new AtomicBoolean()));
  }

  @Override
  public void close() {}

  private static final class InMemoryLock implements Lock {
    private final AtomicBoolean held;

    InMemoryLock(AtomicBoolean held) {
      this.held = held;
    }

    @Override
    public boolean tryLock() {
      return held.compareAndSet(false, true);
    }

    @Override
    public boolean isHeld() {
      return held.get();
    }

    @Override
    public void unlock() {
      held.set(false);
    }
  }
}
