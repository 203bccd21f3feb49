package dev.spinup.controlplane.operations;

import dev.spinup.controlplane.db.Database.Tx;
import dev.spinup.controlplane.workspaces.Workspace;
import dev.spinup.controlplane.workspaces.WorkspaceState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One verb: what it checks and reserves when the call is accepted, its forward steps, and the
 * rollback steps run after a forward step fails.
 */
public interface OperationJob {
    OperationVerb verb();

    /** The forward steps of this operation (they may depend on its params). */
    List<Step> steps(Map<String, String> params);

    /** Empty: a failure leaves the workspace where it is and the operation FAILED. */
    default List<Step> rollbackSteps(Map<String, String> params) {
        return List.of();
    }

    /**
     * Runs in the API transaction with the workspace row locked, after the lifecycle check:
     * refuses with an ApiException, reserves what the operation needs (capacity, a new host),
     * and returns the operation's params.
     */
    default Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
        return requested;
    }

    /** In the transaction that marks the operation SUCCEEDED. */
    default void onSucceeded(StepContext ctx) {
    }

    /** The workspace's state after a completed rollback; empty keeps the state it has. */
    default Optional<WorkspaceState> stateAfterRollback(Map<String, String> params) {
        return Optional.empty();
    }

    default Step step(Map<String, String> params, StepState.Phase phase, String name) {
        List<Step> candidates = phase == StepState.Phase.FORWARD ? steps(params) : rollbackSteps(params);
        return candidates.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException(verb() + " has no " + phase + " step " + name));
    }

    default StepState initialState(Map<String, String> params) {
        return StepState.initial(steps(params).stream().map(Step::name).toList());
    }
}
