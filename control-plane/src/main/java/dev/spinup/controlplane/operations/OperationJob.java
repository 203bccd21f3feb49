package dev.spinup.controlplane.operations;

import dev.spinup.controlplane.workspaces.WorkspaceState;
import java.util.List;
import java.util.Optional;

/** The steps of one verb: forward, and the rollback steps run after a forward step fails. */
public interface OperationJob {
    OperationVerb verb();

    List<Step> steps();

    /** Empty: a failure leaves the workspace where it is and the operation FAILED. */
    default List<Step> rollbackSteps() {
        return List.of();
    }

    /** The workspace's state after a completed rollback. */
    default Optional<WorkspaceState> stateAfterRollback() {
        return Optional.empty();
    }

    default Step step(StepState.Phase phase, String name) {
        List<Step> candidates = phase == StepState.Phase.FORWARD ? steps() : rollbackSteps();
        return candidates.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException(verb() + " has no " + phase + " step " + name));
    }

    default StepState initialState() {
        return StepState.initial(steps().stream().map(Step::name).toList());
    }
}
