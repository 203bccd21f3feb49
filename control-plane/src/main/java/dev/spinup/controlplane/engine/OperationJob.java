package dev.spinup.controlplane.engine;

import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.StepState;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.store.Tx;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One verb: what it checks and reserves when the call is accepted, and its {@link Plan} — its
 * steps, each with its undo, and its point of no return.
 */
public interface OperationJob {
    OperationVerb verb();

    /** The verb's plan (it may depend on the operation's params, e.g. the state it started from). */
    Plan plan(Map<String, String> params);

    /** Every plan this verb may run, by what selects it ("" when there is one): for the README's table. */
    default Map<String, Plan> plans() {
        return Map.of("", plan(Map.of()));
    }

    /**
     * Runs in the API transaction with the workspace row locked, after the lifecycle check:
     * refuses with an SpinUpException, reserves what the operation needs (capacity, a new host),
     * and returns the operation's params.
     */
    default Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
        return requested;
    }

    /** In the transaction that marks the operation SUCCEEDED. */
    default void onSucceeded(StepContext ctx) {}

    /**
     * The workspace's state when the operation succeeds, where the lifecycle table leaves it to
     * the plan (its {@code to} is null); empty: the table's target, else the state it has.
     */
    default Optional<WorkspaceState> stateAfterSuccess(Map<String, String> params) {
        return Optional.empty();
    }

    /** The workspace's state after a completed rollback; empty keeps the state it has. */
    default Optional<WorkspaceState> stateAfterRollback(Map<String, String> params) {
        return Optional.empty();
    }

    /** The forward steps of this operation. */
    default List<Step> steps(Map<String, String> params) {
        return plan(params).steps();
    }

    default Step step(Map<String, String> params, StepState.Phase phase, String name) {
        Plan plan = plan(params);
        List<Step> candidates = phase == StepState.Phase.FORWARD ? plan.steps() : plan.undoSteps();
        return candidates.stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(verb() + " has no " + phase + " step " + name));
    }

    default StepState initialState(Map<String, String> params) {
        return StepState.initial(steps(params).stream().map(Step::name).toList());
    }
}
