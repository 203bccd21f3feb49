package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.steps.AgentSteps;
import java.util.Map;
import java.util.Optional;

/**
 * CREATE: provision the workspace's disk on its host, start it, point the host's edge at it; the
 * final commit marks it active. A failure rolls back what began (the name gets the tombstone, the
 * VM is destroyed), the slot is freed (the workspace becomes deleted), and the operation ends
 * ROLLED_BACK with the reason. No point of no return.
 */
public final class CreateWorkspaceJob implements OperationJob {
    private final Plan plan;

    public CreateWorkspaceJob(AgentSteps agent) {
        this.plan = Plan.builder()
                .step(agent.provision(), agent.destroy("destroy"))
                .step(agent.start("start"), "none: the undo of provision (destroy) stops it too")
                .step(agent.routes(), agent.routes("tombstone", ctx -> WorkspaceState.DELETED))
                .build();
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.CREATE;
    }

    @Override
    public Plan plan(Map<String, String> params) {
        return plan;
    }

    @Override
    public Optional<WorkspaceState> stateAfterRollback(Map<String, String> params) {
        return Optional.of(WorkspaceState.DELETED);
    }
}
