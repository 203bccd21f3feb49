package dev.spinup.controlplane.operations;

import dev.spinup.controlplane.agents.AgentSteps;
import dev.spinup.controlplane.db.Database.Tx;
import dev.spinup.controlplane.workspaces.Workspace;
import dev.spinup.controlplane.workspaces.WorkspaceState;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * REPAIR (system): reconcile found the host out of line with an idle workspace. An active one
 * that does not run is started; a suspended one that runs is stopped; either way the host's edge
 * rule is applied again. The workspace's state does not change; a failure leaves it as it was
 * (the next reconcile tries again) and is visible as a FAILED repair operation.
 */
public final class RepairWorkspaceJob implements OperationJob {
    private static final String FROM = "from_state";
    private final List<Step> startIt;
    private final List<Step> stopIt;

    public RepairWorkspaceJob(AgentSteps agent) {
        this.startIt = List.of(agent.start("start"), agent.routesAsIs("routes"));
        this.stopIt = List.of(agent.stop("stop", SuspendWorkspaceJob.STOP_GRACE_SECONDS), agent.routesAsIs("routes"));
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
    public List<Step> steps(Map<String, String> params) {
        return WorkspaceState.ACTIVE.wire().equals(params.get(FROM)) ? startIt : stopIt;
    }
}
