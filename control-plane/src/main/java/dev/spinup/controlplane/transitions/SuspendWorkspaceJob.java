package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.steps.AgentSteps;
import java.util.Map;

/**
 * SUSPEND: active → suspended. Stop the workspace (graceful, then hard after the grace period),
 * keep its disk on the host, and have the edge answer with the suspended page. If that fails it
 * is started again (and routed as before) and the operation ends ROLLED_BACK, the workspace still
 * active. No point of no return.
 */
public final class SuspendWorkspaceJob implements OperationJob {
    static final int STOP_GRACE_SECONDS = 30;

    private final Plan plan;

    public SuspendWorkspaceJob(AgentSteps agent) {
        this.plan = Plan.builder()
                .step(agent.stop("stop", STOP_GRACE_SECONDS), agent.start("restart"))
                .step(agent.routes(), agent.routesAsIs("routes_back"))
                .build();
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.SUSPEND;
    }

    @Override
    public Plan plan(Map<String, String> params) {
        return plan;
    }
}
