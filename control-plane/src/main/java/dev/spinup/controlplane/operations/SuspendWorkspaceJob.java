package dev.spinup.controlplane.operations;

import dev.spinup.controlplane.agents.AgentSteps;
import java.util.List;
import java.util.Map;

/**
 * SUSPEND: active → suspended. Stop the workspace (graceful, then hard after the grace period),
 * keep its disk on the host, and have the edge answer with the suspended page. If it cannot be
 * stopped it is started again and the operation ends ROLLED_BACK, the workspace still active.
 */
public final class SuspendWorkspaceJob implements OperationJob {
    static final int STOP_GRACE_SECONDS = 30;

    private final List<Step> steps;
    private final List<Step> rollback;

    public SuspendWorkspaceJob(AgentSteps agent) {
        this.steps = List.of(agent.stop("stop", STOP_GRACE_SECONDS), agent.routes());
        this.rollback = List.of(agent.start("restart"), agent.routesAsIs("routes_back"));
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.SUSPEND;
    }

    @Override
    public List<Step> steps(Map<String, String> params) {
        return steps;
    }

    @Override
    public List<Step> rollbackSteps(Map<String, String> params) {
        return rollback;
    }
}
