package dev.spinup.controlplane.engine;

import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.StepState;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.store.Tx;
import java.time.Instant;

/** What a step sees: its transaction, the locked operation, the workspace and the current step state. */
public record StepContext(Tx tx, Operation operation, Workspace workspace, StepState state, Instant now) {
    public StepState.StepRecord step() {
        return state.current();
    }
}
