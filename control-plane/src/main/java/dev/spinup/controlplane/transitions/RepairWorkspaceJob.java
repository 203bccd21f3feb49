package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.steps.AgentSteps;
import dev.spinup.controlplane.store.Tx;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * REPAIR (system): reconcile found the host out of line with an idle workspace. An active one
 * that does not run is started; a suspended one that runs is stopped; either way the host's edge
 * rule is applied again. The workspace's state does not change; a failure leaves it as it was
 * (the next reconcile tries again) and is visible as a FAILED repair operation.
 */
public final class RepairWorkspaceJob implements OperationJob {
    private static final String FROM = "from_state";
    private final Plan startIt;
    private final Plan stopIt;

    public RepairWorkspaceJob(AgentSteps agent) {
        String why = "none: convergent (the next reconcile tries again)";
        this.startIt = Plan.builder()
                .step(agent.start("start"), why)
                .step(agent.routesAsIs("routes"), why)
                .build();
        this.stopIt = Plan.builder()
                .step(agent.stop("stop", SuspendWorkspaceJob.STOP_GRACE_SECONDS), why)
                .step(agent.routesAsIs("routes"), why)
                .build();
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.REPAIR;
    }

    @Override
    public Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
        Map<String, String> params = new HashMap<>(requested);
        params.put(FROM, workspace.state().wire());
        return params;
    }

    @Override
    public Map<String, Plan> plans() {
        return Map.of("active, not running", startIt, "suspended, running", stopIt);
    }

    @Override
    public Plan plan(Map<String, String> params) {
        return WorkspaceState.ACTIVE.wire().equals(params.get(FROM)) ? startIt : stopIt;
    }
}
