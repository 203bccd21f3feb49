package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.engine.StepContext;
import dev.spinup.controlplane.steps.AgentSteps;
import java.util.Map;

/**
 * DELETE, from any state: stop and remove everything local on the host, purge the workspace's
 * objects from object storage, leave a 404 tombstone on the edge, and in the final commit
 * pseudonymize the workspace row. A failed destroy leaves the operation FAILED with its reason and
 * the workspace as it was; a new DELETE resumes the work (every step is idempotent). The purge is
 * the point of no return: from it on, failures are retried until the step's deadline, and past it
 * the workspace is deleted, the reason on the operation.
 */
public final class DeleteWorkspaceJob implements OperationJob {
    private final Plan plan;

    public DeleteWorkspaceJob(AgentSteps agent, Step purgeSnapshots) {
        this.plan = Plan.builder()
                .step(agent.destroy("destroy"), "none: a new DELETE resumes")
                .pointOfNoReturn()
                .step(purgeSnapshots, "none: past the point of no return")
                .step(agent.routes("tombstone", ctx -> WorkspaceState.DELETED), "none: past the point of no return")
                .build();
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.DELETE;
    }

    @Override
    public Plan plan(Map<String, String> params) {
        return plan;
    }

    /** Nothing that identifies a person survives: external ids, name and labels are replaced. */
    @Override
    public void onSucceeded(StepContext ctx) {
        ctx.tx().workspaces().pseudonymize(ctx.workspace().id());
    }
}
