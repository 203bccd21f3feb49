package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.steps.AgentSteps;
import java.util.Map;
import java.util.Optional;

/**
 * CREATE: provision the workspace's disk on its host, start it, point the host's edge at it; the
 * final commit marks it active. A failure rolls back what began (the name gets the tombstone, the
 * VM is destroyed), the slot is freed (the workspace becomes deleted), and the operation ends
 * ROLLED_BACK with the reason. No point of no return.
 *
 * <p>In an elastic region a create that found no room when it was accepted first waits for a host
 * ({@link CapacityWait}); if none comes in time it ends FAILED with NO_CAPACITY and the workspace
 * is deleted, having held nothing.
 */
public final class CreateWorkspaceJob implements OperationJob {
    private final Plan plan;
    private final Plan waiting;

    public CreateWorkspaceJob(AgentSteps agent, CapacityWait capacity) {
        this.plan = steps(Plan.builder(), agent).build();
        this.waiting = steps(
                        Plan.builder()
                                .step(
                                        capacity.step((ctx, host) -> ctx.tx()
                                                .workspaces()
                                                .firstHost(ctx.workspace().id(), host, ctx.now())),
                                        "none: the host is taken in the step's last transaction"),
                        agent)
                .build();
    }

    private static Plan.Builder steps(Plan.Builder plan, AgentSteps agent) {
        return plan.step(agent.provision(), agent.destroy("destroy"))
                .step(agent.start("start"), "none: the undo of provision (destroy) stops it too")
                .step(agent.routes(), agent.routes("tombstone", ctx -> WorkspaceState.DELETED));
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.CREATE;
    }

    @Override
    public Plan plan(Map<String, String> params) {
        return CapacityWait.awaiting(params) ? waiting : plan;
    }

    @Override
    public Map<String, Plan> plans() {
        return Map.of("", plan, "waiting for capacity", waiting);
    }

    @Override
    public Optional<WorkspaceState> stateAfterRollback(Map<String, String> params) {
        return Optional.of(WorkspaceState.DELETED);
    }
}
