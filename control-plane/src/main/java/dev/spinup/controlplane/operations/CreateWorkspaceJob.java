package dev.spinup.controlplane.operations;

import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.DestroyVm;
import dev.spinup.api.v1.ProvisionVm;
import dev.spinup.api.v1.StartVm;
import dev.spinup.controlplane.agents.AgentCommandStep;
import dev.spinup.controlplane.agents.AgentSessions;
import dev.spinup.controlplane.agents.CommandOutbox;
import dev.spinup.controlplane.agents.EdgeRoutes;
import dev.spinup.controlplane.workspaces.Workspace;
import dev.spinup.controlplane.workspaces.WorkspaceState;
import dev.spinup.controlplane.workspaces.WorkspaceStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * CREATE: provision the workspace's disk on its host, start it, point the host's edge at it; the
 * final commit marks it active. A failure rolls back: the VM is destroyed, the slot freed (the
 * workspace becomes deleted), and the operation ends ROLLED_BACK with the reason.
 */
public final class CreateWorkspaceJob implements OperationJob {
    private final List<Step> steps;
    private final List<Step> rollback;

    public record Timeouts(Duration provision, Duration start, Duration routes, Duration destroy) {}

    public CreateWorkspaceJob(AgentSessions sessions, CommandOutbox outbox, WorkspaceStore workspaces,
                              EdgeRoutes edgeRoutes, Timeouts timeouts) {
        this.steps = List.of(
                new AgentCommandStep("provision", timeouts.provision(), sessions, outbox, ctx -> ctx.workspace().hostId(),
                        ctx -> Command.newBuilder().setProvisionVm(ProvisionVm.newBuilder()
                                .setEnvelope(WorkspaceCommands.envelope(ctx.workspace()))
                                .setTemplate(WorkspaceCommands.template(ctx.workspace()))
                                .setDisplayName(ctx.workspace().displayName())),
                        (ctx, result) -> Map.of()),
                new AgentCommandStep("start", timeouts.start(), sessions, outbox, ctx -> ctx.workspace().hostId(),
                        ctx -> Command.newBuilder().setStartVm(StartVm.newBuilder()
                                .setEnvelope(WorkspaceCommands.envelope(ctx.workspace()))),
                        (ctx, result) -> {
                            String endpoint = result.getVmStarted().getEndpoint();
                            workspaces.setEndpoint(ctx.tx().handle(), ctx.workspace().id(), endpoint, ctx.now());
                            return Map.of("endpoint", endpoint);
                        }),
                new AgentCommandStep("routes", timeouts.routes(), sessions, outbox, ctx -> ctx.workspace().hostId(),
                        ctx -> Command.newBuilder().setApplyEdgeRoutes(edgeRoutes.forHost(ctx.tx().handle(),
                                ctx.workspace().hostId(), ctx.now().toEpochMilli())),
                        (ctx, result) -> Map.of()));
        this.rollback = List.of(
                new AgentCommandStep("destroy", timeouts.destroy(), sessions, outbox, ctx -> ctx.workspace().hostId(),
                        ctx -> Command.newBuilder().setDestroyVm(DestroyVm.getDefaultInstance()),
                        (ctx, result) -> Map.of()));
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.CREATE;
    }

    @Override
    public List<Step> steps() {
        return steps;
    }

    @Override
    public List<Step> rollbackSteps() {
        return rollback;
    }

    @Override
    public Optional<WorkspaceState> stateAfterRollback() {
        return Optional.of(WorkspaceState.DELETED);
    }

    /** Proto values for commands, from a workspace. */
    static final class WorkspaceCommands {
        private WorkspaceCommands() {}

        static dev.spinup.api.v1.Envelope envelope(Workspace w) {
            return dev.spinup.api.v1.Envelope.newBuilder().setVcpu(w.envelope().vcpu())
                    .setRamGb(w.envelope().ramGb()).setDiskGb(w.envelope().diskGb()).build();
        }

        static dev.spinup.api.v1.ProjectTemplate template(Workspace w) {
            return dev.spinup.api.v1.ProjectTemplate.valueOf(w.template().name());
        }
    }
}
