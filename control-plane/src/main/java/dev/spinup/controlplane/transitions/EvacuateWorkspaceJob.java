package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.SnapshotKind;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.engine.StepContext;
import dev.spinup.controlplane.steps.AgentSteps;
import dev.spinup.controlplane.steps.SnapshotSteps;
import dev.spinup.controlplane.store.Tx;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * EVACUATE (started by EvacuateHost for each workspace of a draining host): the workspace moves
 * to another host with no data lost. Its new placement is held from acceptance. On the old host it
 * is stopped and snapshotted whole (kind pre_move); the snapshot is read back and verified; the new
 * host downloads, checks and unpacks it, starts it (if it was active) and routes it; its names'
 * home moves there. A failure until then undoes it all: the new host's copy is discarded, the
 * placement released, the snapshot deleted, and the workspace started again where it was
 * (ROLLED_BACK). Then the point of no return: the old host wipes its copy and forwards the names;
 * those steps are retried forward.
 */
public final class EvacuateWorkspaceJob implements OperationJob {
    static final String OLD_HOST = "old_host_id";
    private static final String FROM = "from_state";

    private final Placement placement;
    private final Clock clock;
    private final Plan fromActive;
    private final Plan fromSuspended;

    public EvacuateWorkspaceJob(AgentSteps agent, SnapshotSteps snapshots, Placement placement, Clock clock) {
        this.placement = placement;
        this.clock = clock;
        this.fromActive = plan(agent, snapshots, true);
        this.fromSuspended = plan(agent, snapshots, false);
    }

    private static Plan plan(AgentSteps agent, SnapshotSteps snapshots, boolean active) {
        // the new placement is held from acceptance: the first step's undo gives it back
        Step release = Placement.release(OLD_HOST);
        Step snapshot = snapshots.take("snapshot", SnapshotKind.PRE_MOVE, EvacuateWorkspaceJob::oldHost);
        Plan.Builder plan = Plan.builder();
        if (active) {
            plan.step(
                            agent.stop("stop", SuspendWorkspaceJob.STOP_GRACE_SECONDS, EvacuateWorkspaceJob::oldHost),
                            agent.start("restart", EvacuateWorkspaceJob::oldHost),
                            release)
                    .step(snapshot, snapshots.discard("discard_snapshot"));
        } else {
            plan.step(snapshot, snapshots.discard("discard_snapshot"), release);
        }
        String newHost = "none: the undo of download covers it";
        plan.step(snapshots.verify("verify"), "none: it only reads")
                .step(
                        snapshots.restore("download"),
                        agent.destroy("discard"),
                        agent.routesOn("new_host_routes", CapacityWait::host));
        if (active) {
            plan.step(agent.start("start"), newHost);
        }
        String past = "none: past the point of no return";
        return plan.step(agent.routes(), newHost)
                .pointOfNoReturn()
                .step(agent.wipe("wipe", EvacuateWorkspaceJob::oldHost), past)
                .step(agent.routesOn("old_host_routes", EvacuateWorkspaceJob::oldHost), past)
                .build();
    }

    private static UUID oldHost(StepContext ctx) {
        return Placement.hostParam(ctx, OLD_HOST);
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.EVACUATE;
    }

    @Override
    public Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
        Map<String, String> params = new HashMap<>(requested);
        params.put(FROM, workspace.state().wire());
        params.put(OLD_HOST, workspace.hostId().toString());
        params.put("snapshot_id", Ids.newId(clock).toString());
        UUID host = placement
                .place(tx, workspace.regionId(), workspace.envelope())
                .orElseThrow(() -> new SpinUpException(
                        SpinUpException.Kind.RESOURCE_EXHAUSTED,
                        ErrorReason.NO_CAPACITY,
                        "no other healthy host in region " + workspace.regionId() + " has room for workspace "
                                + workspace.id(),
                        Map.of(
                                "region",
                                workspace.regionId(),
                                "workspaceId",
                                workspace.id().toString())));
        params.put(CapacityWait.HOST, host.toString());
        // the new slot is held from now on; the old host's is freed
        tx.workspaces().moveTo(workspace.id(), host, workspace.state(), now);
        return params;
    }

    @Override
    public Map<String, Plan> plans() {
        return Map.of("from active", fromActive, "from suspended", fromSuspended);
    }

    @Override
    public Plan plan(Map<String, String> params) {
        return WorkspaceState.ACTIVE.wire().equals(params.get(FROM)) ? fromActive : fromSuspended;
    }

    @Override
    public void onSucceeded(StepContext ctx) {
        // its names follow it: the old host is on its way out
        ctx.tx().workspaces().moveHome(ctx.workspace().id(), CapacityWait.host(ctx), ctx.now());
    }
}
