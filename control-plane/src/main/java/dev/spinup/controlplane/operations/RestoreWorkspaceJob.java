package dev.spinup.controlplane.operations;

import dev.spinup.controlplane.agents.AgentSteps;
import java.util.List;
import java.util.Map;

/** RESTORE from suspended: start the workspace on its host and route to it again. */
public final class RestoreWorkspaceJob implements OperationJob {
    private final List<Step> fromSuspended;

    public RestoreWorkspaceJob(AgentSteps agent) {
        this.fromSuspended = List.of(agent.start("start"), agent.routes());
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.RESTORE;
    }

    @Override
    public List<Step> steps(Map<String, String> params) {
        return fromSuspended;
    }
}
