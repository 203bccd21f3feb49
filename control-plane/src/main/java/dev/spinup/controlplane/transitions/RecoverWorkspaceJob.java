package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.Snapshot;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.engine.StepContext;
import dev.spinup.controlplane.steps.AgentSteps;
import dev.spinup.controlplane.steps.SnapshotSteps;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * RECOVER (system): a workspace of a lost host, which is fenced, comes back from its newest
 * verified snapshot — a full one, or a differential and the full one it builds on, each link
 * checked when the operation is accepted and each archive's size and SHA-256 checked by the host
 * before anything is unpacked. The snapshot's time is the recovery point (param
 * {@code recovery_point}): what was written on the lost host after it is lost.
 * <ul>
 * <li>Active, with room in its region: restarted on the new placement (held from acceptance):
 *     download, start, route; its names' home moves to the new host. If that fails the new host's
 *     copy is discarded, the placement released, and the workspace is archived from the snapshot
 *     (ROLLED_BACK), so a RESTORE can bring it back later. In an elastic region with no room it
 *     first waits for a host ({@link CapacityWait}); with none in time it is archived (FAILED).
 * <li>Suspended, or active in a static region with no room: archived from the snapshot.
 * <li>No verified snapshot at all: archived with none, state_reason NO_SNAPSHOT; never dropped.
 * </ul>
 * The workspace stays on the lost host's row until a new host holds it, so it never runs on two
 * hosts: the lost one is fenced before any RECOVER starts, and its agent stops what it still runs.
 */
public final class RecoverWorkspaceJob implements OperationJob {
    static final String MODE = "mode";
    static final String LOST_HOST = "lost_host_id";
    private static final String RESTART = "restart";
    private static final String ARCHIVE = "archive";
    private static final String NO_SNAPSHOT = "no_snapshot";

    private final Placement placement;
    private final MeterRegistry meters;
    private final Plan restart;
    private final Plan restartWaiting;
    private final Plan archive;
    private final Plan noSnapshot;

    public RecoverWorkspaceJob(
            AgentSteps agent,
            SnapshotSteps snapshotSteps,
            Placement placement,
            CapacityWait capacity,
            MeterRegistry meters) {
        this.placement = placement;
        this.meters = meters;
        this.restart = restart(Plan.builder(), agent, snapshotSteps);
        this.restartWaiting = restart(
                Plan.builder().step(capacity.moveInActive(), CapacityWait.UNDONE_BY_DOWNLOAD), agent, snapshotSteps);
        this.archive = Plan.builder()
                .step(
                        Step.local("archive", ctx -> {}),
                        "none: the workspace is archived in the operation's last transaction")
                .build();
        this.noSnapshot = Plan.builder()
                .step(
                        Step.local(
                                "archive_without_snapshot",
                                ctx -> ctx.tx()
                                        .workspaces()
                                        .setStateReason(ctx.workspace().id(), Workspace.NO_SNAPSHOT, ctx.now())),
                        "none: the workspace is archived in the operation's last transaction")
                .build();
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (String outcome : new String[] {RESTART, ARCHIVE, NO_SNAPSHOT}) {
            meters.counter("spinup_workspaces_recovered", "outcome", outcome);
        }
        meters.summary("spinup_recovery_data_loss_seconds");
    }

    private static Plan restart(Plan.Builder plan, AgentSteps agent, SnapshotSteps snapshotSteps) {
        String newHost = "none: the undo of download covers it";
        return plan.step(
                        snapshotSteps.restore("download"),
                        agent.destroy("discard"),
                        Placement.release(LOST_HOST),
                        agent.routesOn("new_host_routes", CapacityWait::host))
                .step(agent.start("start"), newHost)
                .step(agent.routes(), newHost)
                .build();
    }

    private static UUID lostHost(StepContext ctx) {
        return Placement.hostParam(ctx, LOST_HOST);
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.RECOVER;
    }

    @Override
    public Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
        Map<String, String> params = new HashMap<>(requested);
        params.put(LOST_HOST, workspace.hostId().toString());
        params.put("from_state", workspace.state().wire());
        Optional<Snapshot> snapshot = tx.snapshots().latestVerified(workspace.id());
        if (snapshot.isEmpty()) {
            params.put(MODE, NO_SNAPSHOT);
            return params;
        }
        params.put("snapshot_id", snapshot.get().id().toString());
        params.put(Operation.RECOVERY_POINT, snapshot.get().createdAt().toString());
        if (workspace.state() != WorkspaceState.ACTIVE) {
            params.put(MODE, ARCHIVE);
            return params;
        }
        params.put(MODE, RESTART);
        Optional<UUID> placed = placement.place(tx, workspace.regionId(), workspace.envelope());
        if (placed.isPresent()) {
            params.put(CapacityWait.HOST, placed.get().toString());
            // the new slot is held from now on; the lost host holds nothing any more
            tx.workspaces().moveTo(workspace.id(), placed.get(), WorkspaceState.ACTIVE, now);
        } else if (tx.fleet().elastic(workspace.regionId())) {
            params.put(CapacityWait.PARAM, "true");
        } else {
            params.put(MODE, ARCHIVE); // no room: safe in its snapshot, a RESTORE brings it back
        }
        return params;
    }

    @Override
    public Map<String, Plan> plans() {
        return Map.of(
                "active: restarted elsewhere",
                restart,
                "active: waiting for capacity, then restarted",
                restartWaiting,
                "suspended, or no room: archived from the snapshot",
                archive,
                "no verified snapshot: archived with none",
                noSnapshot);
    }

    @Override
    public Plan plan(Map<String, String> params) {
        return switch (params.getOrDefault(MODE, RESTART)) {
            case ARCHIVE -> archive;
            case NO_SNAPSHOT -> noSnapshot;
            default -> CapacityWait.awaiting(params) ? restartWaiting : restart;
        };
    }

    @Override
    public void onSucceeded(StepContext ctx) {
        String mode = ctx.operation().params().getOrDefault(MODE, RESTART);
        if (mode.equals(RESTART)) {
            // its names follow it: the lost home host serves nothing any more
            ctx.tx().workspaces().moveHome(ctx.workspace().id(), CapacityWait.host(ctx), ctx.now());
        }
        String point = ctx.operation().params().get(Operation.RECOVERY_POINT);
        // data lost: from the recovery point to when the host was declared lost
        Optional<Duration> lost = point == null
                ? Optional.empty()
                : ctx.tx()
                        .fleet()
                        .findHost(lostHost(ctx))
                        .map(h -> Duration.between(Instant.parse(point), h.stateSince()));
        ctx.tx().afterCommit(() -> {
            meters.counter("spinup_workspaces_recovered", "outcome", mode).increment();
            lost.ifPresent(
                    d -> meters.summary("spinup_recovery_data_loss_seconds").record(Math.max(0, d.toSeconds())));
        });
    }

    @Override
    public Optional<WorkspaceState> stateAfterSuccess(Map<String, String> params) {
        return Optional.of(
                RESTART.equals(params.getOrDefault(MODE, RESTART)) ? WorkspaceState.ACTIVE : WorkspaceState.ARCHIVED);
    }

    /**
     * Restarting failed: the workspace is archived from its snapshot, which a RESTORE can use. (The
     * archiving plans are one local step, with nothing to roll back.)
     */
    @Override
    public Optional<WorkspaceState> stateAfterRollback(Map<String, String> params) {
        return RESTART.equals(params.getOrDefault(MODE, RESTART))
                ? Optional.of(WorkspaceState.ARCHIVED)
                : Optional.empty();
    }
}
