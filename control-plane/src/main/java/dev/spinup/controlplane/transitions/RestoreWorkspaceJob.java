package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.Snapshot;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.steps.AgentSteps;
import dev.spinup.controlplane.steps.SnapshotSteps;
import dev.spinup.controlplane.store.Tx;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * RESTORE → active.
 * <ul>
 * <li>From suspended: start the workspace on its host and route to it. If that fails it is
 *     stopped again (a start cut off half-way may have left it running) and stays suspended.
 * <li>From archived: a new placement (possibly another host) is reserved when the call is
 *     accepted; that host downloads the latest verified snapshot, checks its size and SHA-256,
 *     unpacks it, and starts it; routing follows, and the workspace's home host (where its DNS
 *     name points) is told to forward to the new host. If that fails the new host's copy is discarded,
 *     the reservation released, every host concerned routed again, and the workspace is archived
 *     again (ROLLED_BACK).
 * </ul>
 * No point of no return: until the final commit the archive and its snapshot are untouched.
 *
 * <p>In an elastic region a restore from archived that finds no room when it is accepted stays
 * archived and first waits for a host ({@link CapacityWait}), which it then takes as above; if none
 * comes in time it ends FAILED with NO_CAPACITY, still archived.
 */
public final class RestoreWorkspaceJob implements OperationJob {
    private static final String FROM = "from_state";

    private final Placement placement;
    private final Plan fromSuspended;
    private final Plan fromArchived;
    private final Plan fromArchivedWaiting;

    public RestoreWorkspaceJob(
            AgentSteps agent, SnapshotSteps snapshotSteps, Placement placement, CapacityWait capacity) {
        this.placement = placement;
        // A start that failed half-way (e.g. the agent died in it) may have left the app running.
        this.fromSuspended = Plan.builder()
                .step(agent.start("start"), agent.stop("stop_back", SuspendWorkspaceJob.STOP_GRACE_SECONDS))
                .step(agent.routes(), agent.routesAsIs("routes_back"))
                .build();
        this.fromArchived = fromArchived(Plan.builder(), agent, snapshotSteps);
        this.fromArchivedWaiting = fromArchived(
                Plan.builder().step(capacity.moveInActive(), CapacityWait.UNDONE_BY_DOWNLOAD), agent, snapshotSteps);
    }

    private static Plan fromArchived(Plan.Builder plan, AgentSteps agent, SnapshotSteps snapshotSteps) {
        String newHost = "none: the undo of download covers it";
        return plan.step(
                        snapshotSteps.restore("download"),
                        agent.destroy("discard"),
                        Placement.release("old_host_id"),
                        agent.routes("routes_back", ctx -> WorkspaceState.ARCHIVED),
                        agent.routesOn("new_host_routes", CapacityWait::host),
                        agent.routesAtHome("home_routes_back"))
                .step(agent.start("start"), newHost)
                .step(agent.routes(), newHost)
                .step(agent.routesAtHome("home_routes"), newHost)
                .build();
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.RESTORE;
    }

    @Override
    public Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
        Map<String, String> params = new HashMap<>(requested);
        params.put(FROM, workspace.state().wire());
        if (workspace.state() != WorkspaceState.ARCHIVED) {
            return params;
        }
        Snapshot snapshot = tx.snapshots()
                .latestVerified(workspace.id())
                .orElseThrow(() -> SpinUpException.failedPrecondition(
                        ErrorReason.NO_VERIFIED_SNAPSHOT,
                        "workspace " + workspace.id() + " has no verified snapshot to restore from",
                        Map.of()));
        params.put("snapshot_id", snapshot.id().toString());
        params.put("old_host_id", workspace.hostId().toString());
        Optional<UUID> placed = placement.place(tx, workspace.regionId(), workspace.envelope());
        if (placed.isEmpty() && tx.fleet().elastic(workspace.regionId())) {
            params.put(CapacityWait.PARAM, "true"); // stays archived until the step finds a host
            return params;
        }
        UUID host = placed.orElseThrow(() -> new SpinUpException(
                SpinUpException.Kind.RESOURCE_EXHAUSTED,
                ErrorReason.NO_CAPACITY,
                "no healthy host in region " + workspace.regionId() + " has room to restore this workspace",
                Map.of("region", workspace.regionId())));
        params.put("host_id", host.toString());
        // The new slot is held from now on: the workspace counts as active on its new host.
        tx.workspaces().moveTo(workspace.id(), host, WorkspaceState.ACTIVE, now);
        return params;
    }

    @Override
    public Map<String, Plan> plans() {
        return Map.of(
                "from suspended",
                fromSuspended,
                "from archived",
                fromArchived,
                "from archived, waiting for capacity",
                fromArchivedWaiting);
    }

    @Override
    public Plan plan(Map<String, String> params) {
        if (!archived(params)) {
            return fromSuspended;
        }
        return CapacityWait.awaiting(params) ? fromArchivedWaiting : fromArchived;
    }

    @Override
    public Optional<WorkspaceState> stateAfterRollback(Map<String, String> params) {
        return archived(params) ? Optional.of(WorkspaceState.ARCHIVED) : Optional.empty();
    }

    private static boolean archived(Map<String, String> params) {
        return WorkspaceState.ARCHIVED.wire().equals(params.get(FROM));
    }
}
