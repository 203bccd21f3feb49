package dev.spinup.controlplane.operations;

import dev.spinup.controlplane.agents.AgentSteps;
import dev.spinup.controlplane.workspaces.WorkspaceState;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * CREATE: provision the workspace's disk on its host, start it, point the host's edge at it; the
 * final commit marks it active. A failure rolls back: the VM is destroyed, the slot freed (the
 * workspace becomes deleted), and the operation ends ROLLED_BACK with the reason.
 */
public final class CreateWorkspaceJob implements OperationJob {
    private final List<Step> steps;
    private final List<Step> rollback;

    public CreateWorkspaceJob(AgentSteps agent) {
        this.steps = List.of(agent.provision(), agent.start("start"), agent.routes());
        this.rollback = List.of(agent.destroy("destroy"), agent.routes("tombstone", ctx -> WorkspaceState.DELETED));
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.CREATE;
    }

    @Override
    public List<Step> steps(Map<String, String> params) {
        return steps;
    }

    @Override
    public List<Step> rollbackSteps(Map<String, String> params) {
        return rollback;
    }

    @Override
    public Optional<WorkspaceState> stateAfterRollback(Map<String, String> params) {
        return Optional.of(WorkspaceState.DELETED);
    }
}
