package dev.spinup.controlplane.operations;

import dev.spinup.controlplane.agents.AgentSteps;
import dev.spinup.controlplane.workspaces.WorkspaceState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * DELETE, from any state: stop and remove everything local on the host, purge the workspace's
 * snapshots from object storage, leave a 404 tombstone on the edge, and in the final commit
 * pseudonymize the workspace row. Deletion only goes forward: a failed step leaves the operation
 * FAILED with its reason, and a new DELETE resumes the work (every step is idempotent).
 */
public final class DeleteWorkspaceJob implements OperationJob {
    private final List<Step> steps;

    public DeleteWorkspaceJob(AgentSteps agent, List<Step> purgeSnapshots) {
        List<Step> all = new ArrayList<>();
        all.add(agent.destroy("destroy"));
        all.addAll(purgeSnapshots);
        all.add(agent.routes("tombstone", ctx -> WorkspaceState.DELETED));
        this.steps = List.copyOf(all);
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.DELETE;
    }

    @Override
    public List<Step> steps(Map<String, String> params) {
        return steps;
    }

    /** Nothing that identifies a person survives: external ids, name and labels are replaced. */
    @Override
    public void onSucceeded(StepContext ctx) {
        ctx.tx().handle().createUpdate("""
                        UPDATE workspaces SET external_workspace_id = 'deleted:' || id, external_user_id = 'deleted',
                            display_name = 'deleted workspace', labels = '{}'::jsonb, endpoint = NULL
                        WHERE id = :id""")
                .bind("id", ctx.workspace().id())
                .execute();
    }
}
