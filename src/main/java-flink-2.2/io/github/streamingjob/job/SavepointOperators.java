package io.github.streamingjob.job;

import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.jobgraph.OperatorID;

/** A savepoint operator's state under another id; the one call whose API differs between the Flink lines. */
final class SavepointOperators {
  private SavepointOperators() {}

  /**
   * All of {@code state} (every subtask's, and the coordinator's: a source's split assignment), filed under
   * {@code id}. Flink's own copy leaves the coordinator's state behind, as does the State Processor API's rename.
   */
  static OperatorState withId(OperatorState state, String uid, OperatorID id) {
    OperatorState copy = state.copyWithNewIDs(uid, id);
    copy.setCoordinatorState(state.getCoordinatorState());
    return copy;
  }
}
