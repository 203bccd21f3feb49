package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.SnapshotKind;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.steps.AgentSteps;
import dev.spinup.controlplane.steps.SnapshotSteps;
import dev.spinup.controlplane.store.Tx;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * ARCHIVE (active or suspended → archived): stop, take a fresh pre_archive snapshot and upload it,
 * read it back from object storage and verify size and SHA-256, and only then wipe the local
 * disk; the final commit frees the slot. The edge rule stays on the host (the archived page).
 * A failure before the wipe keeps the local data: the uploaded object is deleted, a workspace
 * that was active is started again, and the operation ends ROLLED_BACK with the reason. The wipe
 * is the point of no return: from it on, failures are retried until the step's deadline, and past
 * it the workspace is archived (its verified snapshot is safe) with the reason on the operation.
 */
public final class ArchiveWorkspaceJob implements OperationJob {
    private final Clock clock;
    private final Plan fromActive;
    private final Plan fromSuspended;

    public ArchiveWorkspaceJob(AgentSteps agent, SnapshotSteps snapshots, Clock clock) {
        this.clock = clock;
        this.fromActive = plan(agent, snapshots, true);
        this.fromSuspended = plan(agent, snapshots, false);
    }

    private static Plan plan(AgentSteps agent, SnapshotSteps snapshots, boolean wasActive) {
        Step stop = agent.stop("stop", SuspendWorkspaceJob.STOP_GRACE_SECONDS);
        Plan.Builder plan = Plan.builder();
        if (wasActive) {
            plan.step(stop, agent.start("restart"));
        } else {
            plan.step(stop, "none: it was stopped already");
        }
        return plan.step(snapshots.take("snapshot", SnapshotKind.PRE_ARCHIVE), snapshots.discard("discard_snapshot"))
                .step(snapshots.verify("verify"), "none: it only reads")
                .pointOfNoReturn()
                .step(agent.wipe("wipe"), "none: past the point of no return")
                .step(agent.routes(), "none: past the point of no return")
                .build();
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.ARCHIVE;
    }

    @Override
    public Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
        Map<String, String> params = new HashMap<>(requested);
        params.put("snapshot_id", Ids.newId(clock).toString());
        params.put("from_state", workspace.state().wire());
        return params;
    }

    @Override
    public Map<String, Plan> plans() {
        return Map.of("from active", fromActive, "from suspended", fromSuspended);
    }

    @Override
    public Plan plan(Map<String, String> params) {
        return WorkspaceState.ACTIVE.wire().equals(params.get("from_state")) ? fromActive : fromSuspended;
    }
}
