package dev.spinup.controlplane.operations;

import dev.spinup.api.v1.SnapshotKind;
import dev.spinup.controlplane.agents.AgentSteps;
import dev.spinup.controlplane.db.Database.Tx;
import dev.spinup.controlplane.db.Ids;
import dev.spinup.controlplane.snapshots.SnapshotSteps;
import dev.spinup.controlplane.workspaces.Workspace;
import dev.spinup.controlplane.workspaces.WorkspaceState;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ARCHIVE (active or suspended → archived): stop, take a fresh pre_archive snapshot and upload it,
 * read it back from object storage and verify size and SHA-256, and only then wipe the local
 * disk; the final commit frees the slot. The edge rule stays on the host (the archived page).
 * A failure before the wipe keeps the local data: a workspace that was active is started again,
 * and the operation ends ROLLED_BACK with the reason.
 */
public final class ArchiveWorkspaceJob implements OperationJob {
    private final Clock clock;
    private final List<Step> steps;
    private final List<Step> rollbackFromActive;
    private final List<Step> rollbackFromSuspended;

    public ArchiveWorkspaceJob(AgentSteps agent, SnapshotSteps snapshots, Clock clock) {
        this.clock = clock;
        this.steps = List.of(
                agent.stop("stop", SuspendWorkspaceJob.STOP_GRACE_SECONDS),
                snapshots.take("snapshot", SnapshotKind.PRE_ARCHIVE),
                snapshots.verify("verify"),
                agent.wipe("wipe"),
                agent.routes());
        this.rollbackFromActive = List.of(agent.start("restart"), agent.routesAsIs("routes_back"));
        this.rollbackFromSuspended = List.of(agent.routesAsIs("routes_back"));
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
    public List<Step> steps(Map<String, String> params) {
        return steps;
    }

    @Override
    public List<Step> rollbackSteps(Map<String, String> params) {
        return WorkspaceState.ACTIVE.wire().equals(params.get("from_state")) ? rollbackFromActive : rollbackFromSuspended;
    }
}
