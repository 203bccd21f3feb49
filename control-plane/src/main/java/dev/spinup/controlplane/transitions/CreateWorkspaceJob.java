package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.steps.AgentSteps;
import dev.spinup.controlplane.steps.SnapshotSteps;
import java.util.Map;
import java.util.Optional;

/**
 * CREATE: provision the workspace's disk on its host, start it, point the host's edge at it; the
 * final commit marks it active. A failure rolls back what began (the name gets the tombstone, the
 * VM is destroyed), the slot is freed (the workspace becomes deleted), and the operation ends
 * ROLLED_BACK with the reason. No point of no return.
 *
 * <p>A fork (ForkWorkspace) is a create whose disk is downloaded from a verified snapshot of
 * another workspace (a differential with its full one), checked, and unpacked, instead of being
 * provisioned from the template.
 *
 * <p>In an elastic region a create that found no room when it was accepted first waits for a host
 * ({@link CapacityWait}); if none comes in time it ends FAILED with NO_CAPACITY and the workspace
 * is deleted, having held nothing.
 */
public final class CreateWorkspaceJob implements OperationJob {
    /** The param of a fork (ForkWorkspace): the workspace whose snapshot ("snapshot_id") the disk comes from. */
    public static final String FORKED_FROM = "forked_from";

    private final Plan plan;
    private final Plan waiting;
    private final Plan fork;
    private final Plan forkWaiting;

    public CreateWorkspaceJob(AgentSteps agent, SnapshotSteps snapshots, CapacityWait capacity) {
        Step provision = agent.provision();
        Step download = snapshots.restore("download");
        this.plan = steps(Plan.builder(), agent, provision).build();
        this.waiting = steps(waitForRoom(capacity), agent, provision).build();
        this.fork = steps(Plan.builder(), agent, download).build();
        this.forkWaiting = steps(waitForRoom(capacity), agent, download).build();
    }

    private static Plan.Builder waitForRoom(CapacityWait capacity) {
        return Plan.builder()
                .step(
                        capacity.step((ctx, host) ->
                                ctx.tx().workspaces().firstHost(ctx.workspace().id(), host, ctx.now())),
                        "none: the host is taken in the step's last transaction");
    }

    /** @param disk makes the workspace's disk: from its template (provision), or from a snapshot (download) */
    private static Plan.Builder steps(Plan.Builder plan, AgentSteps agent, Step disk) {
        return plan.step(disk, agent.destroy("destroy"))
                .step(agent.start("start"), "none: the undo of " + disk.name() + " (destroy) stops it too")
                .step(agent.routes(), agent.routes("tombstone", ctx -> WorkspaceState.DELETED));
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.CREATE;
    }

    @Override
    public Plan plan(Map<String, String> params) {
        boolean forked = params.containsKey(FORKED_FROM);
        if (CapacityWait.awaiting(params)) {
            return forked ? forkWaiting : waiting;
        }
        return forked ? fork : plan;
    }

    @Override
    public Map<String, Plan> plans() {
        return Map.of(
                "",
                plan,
                "waiting for capacity",
                waiting,
                "a fork: its disk from a snapshot",
                fork,
                "a fork, waiting for capacity",
                forkWaiting);
    }

    @Override
    public Optional<WorkspaceState> stateAfterRollback(Map<String, String> params) {
        return Optional.of(WorkspaceState.DELETED);
    }
}
