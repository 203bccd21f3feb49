package dev.spinup.controlplane.agents;

import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.DestroyVm;
import dev.spinup.api.v1.ProvisionVm;
import dev.spinup.api.v1.ResizeVm;
import dev.spinup.api.v1.StartVm;
import dev.spinup.api.v1.StopVm;
import dev.spinup.controlplane.core.Lifecycle;
import dev.spinup.controlplane.operations.Step;
import dev.spinup.controlplane.operations.StepContext;
import dev.spinup.controlplane.operations.StepOutcome;
import dev.spinup.controlplane.operations.StepTimeouts;
import dev.spinup.controlplane.core.EdgeMode;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/** The agent-command steps the jobs are made of, each addressed to the workspace's host. */
public final class AgentSteps {
    private final AgentSessions sessions;
    private final CommandOutbox outbox;
    private final StepTimeouts timeouts;

    public AgentSteps(AgentSessions sessions, CommandOutbox outbox,
                      StepTimeouts timeouts) {
        this.sessions = sessions;
        this.outbox = outbox;
        this.timeouts = timeouts;
    }

    public Step provision() {
        return onHost("provision", timeouts.provision(), ctx -> Command.newBuilder().setProvisionVm(ProvisionVm.newBuilder()
                .setEnvelope(envelope(ctx.workspace()))
                .setTemplate(dev.spinup.api.v1.ProjectTemplate.valueOf(ctx.workspace().template().name()))
                .setDisplayName(ctx.workspace().displayName())));
    }

    /** Boots the workspace and records where it answers. */
    public Step start(String name) {
        return new AgentCommandStep(name, timeouts.start(), sessions, outbox, ctx -> ctx.workspace().hostId(),
                ctx -> Command.newBuilder().setStartVm(StartVm.newBuilder().setEnvelope(envelope(ctx.workspace()))),
                (ctx, result) -> {
                    String endpoint = result.getVmStarted().getEndpoint();
                    ctx.tx().workspaces().setEndpoint(ctx.workspace().id(), endpoint, ctx.now());
                    return Map.of("endpoint", endpoint);
                });
    }

    public Step stop(String name, int graceSeconds) {
        return onHost(name, timeouts.stop(), ctx -> Command.newBuilder().setStopVm(StopVm.newBuilder()
                .setGraceSeconds(graceSeconds)));
    }

    public Step destroy(String name) {
        return onHost(name, timeouts.destroy(), ctx -> Command.newBuilder().setDestroyVm(DestroyVm.getDefaultInstance()));
    }

    public Step resize(String name) {
        return onHost(name, timeouts.resize(), ctx -> Command.newBuilder().setResizeVm(ResizeVm.newBuilder()
                .setEnvelope(envelope(ctx.workspace()))));
    }

    /**
     * Has the host's edge route this workspace as it will be once the operation succeeds (its row
     * still shows the state it is leaving): records that route, then sends the host its table,
     * which is derived from committed state when the command is sent (see {@link EdgeRoutes}).
     * The route is recorded only when the command is first enqueued, in the same transaction.
     */
    public Step routes(String name, Function<StepContext, WorkspaceState> stateAfter) {
        return onHost(name, timeouts.routes(), ctx -> {
            ctx.tx().workspaces().setEdgeMode(ctx.workspace().id(), EdgeMode.of(stateAfter.apply(ctx)));
            return Command.newBuilder().setApplyEdgeRoutes(EdgeRoutes.toBeRendered());
        });
    }

    /** Routes for the state the operation's verb leads to. */
    public Step routes() {
        return routes("routes", ctx -> Lifecycle.target(ctx.operation().verb(), ctx.workspace().state())
                .orElse(ctx.workspace().state()));
    }

    /**
     * After a workspace moved to another host: its home host (where its DNS name points) gets its
     * new table, forwarding there. Not waited for — the outbox delivers it whenever the home host
     * is connected, so a home host that is down does not hold up the operation. Nothing to do when
     * the workspace is at home.
     */
    public Step routesAtHome(String name) {
        return routesOn(name, ctx -> {
            UUID home = ctx.tx().workspaces().homeHost(ctx.workspace().id()).orElse(null);
            return home == null || home.equals(ctx.workspace().hostId()) ? null : home;
        });
    }

    /**
     * Sends the host {@code host} names (nothing when it names none) its table, derived when sent.
     * Not waited for: the host applies it whenever it is connected again.
     */
    public Step routesOn(String name, Function<StepContext, UUID> host) {
        return Step.of(name, timeouts.routes(), ctx -> {
            UUID target = host.apply(ctx);
            if (target != null) {
                AgentCommandStep.send(sessions, ctx, name, target,
                        Command.newBuilder().setApplyEdgeRoutes(EdgeRoutes.toBeRendered()), null);
            }
            return new StepOutcome.Done(Map.of());
        });
    }

    /** Routes for the state the workspace is in now (after a rollback). */
    public Step routesAsIs(String name) {
        return routes(name, ctx -> ctx.workspace().state());
    }

    public AgentCommandStep onHost(String name, java.time.Duration timeout, Function<StepContext, Command.Builder> command) {
        return onHost(name, timeout, ctx -> ctx.workspace().hostId(), command);
    }

    public AgentCommandStep onHost(String name, java.time.Duration timeout, Function<StepContext, UUID> host,
                                   Function<StepContext, Command.Builder> command) {
        return onHost(name, timeout, host, command, (ctx, result) -> Map.of());
    }

    public AgentCommandStep onHost(String name, java.time.Duration timeout, Function<StepContext, UUID> host,
                                   Function<StepContext, Command.Builder> command,
                                   java.util.function.BiFunction<StepContext, dev.spinup.api.v1.CommandResult,
                                           Map<String, String>> onSuccess) {
        return new AgentCommandStep(name, timeout, sessions, outbox, host, command, onSuccess);
    }

    /** Removes the workspace's local data on its host (after a verified snapshot). */
    public Step wipe(String name) {
        return onHost(name, timeouts.destroy(), ctx -> Command.newBuilder().setWipeDisk(
                dev.spinup.api.v1.WipeDisk.getDefaultInstance()));
    }

    public StepTimeouts timeouts() {
        return timeouts;
    }

    static dev.spinup.api.v1.Envelope envelope(Workspace w) {
        return dev.spinup.api.v1.Envelope.newBuilder().setVcpu(w.envelope().vcpu())
                .setRamGb(w.envelope().ramGb()).setDiskGb(w.envelope().diskGb()).build();
    }
}
