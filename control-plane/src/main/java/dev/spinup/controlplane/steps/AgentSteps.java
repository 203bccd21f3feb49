package dev.spinup.controlplane.steps;

import dev.spinup.controlplane.core.EdgeMode;
import dev.spinup.controlplane.core.Lifecycle;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.engine.StepContext;
import dev.spinup.controlplane.engine.StepOutcome;
import dev.spinup.controlplane.engine.StepTimeouts;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;

/** The agent-command steps the jobs are made of, each addressed to the workspace's host. */
public final class AgentSteps {
    private final AgentLink link;
    private final StepTimeouts timeouts;

    public AgentSteps(AgentLink link, StepTimeouts timeouts) {
        this.link = link;
        this.timeouts = timeouts;
    }

    public Step provision() {
        return onHost(
                "provision",
                timeouts.provision(),
                ctx -> new AgentCommand.ProvisionVm(
                        ctx.workspace().envelope(),
                        ctx.workspace().template(),
                        ctx.workspace().displayName()));
    }

    /** Boots the workspace and records where it answers. */
    public Step start(String name) {
        return start(name, AgentSteps::workspaceHost);
    }

    /** As {@link #start(String)}, on the host {@code host} names. */
    public Step start(String name, Function<StepContext, UUID> host) {
        return onHost(
                name,
                timeouts.start(),
                host,
                ctx -> new AgentCommand.StartVm(ctx.workspace().envelope()),
                (ctx, result) -> {
                    String endpoint = result.vmStarted().endpoint();
                    ctx.tx()
                            .workspaces()
                            .setEndpoints(
                                    ctx.workspace().id(),
                                    endpoint,
                                    result.vmStarted().ideEndpoint(),
                                    ctx.now());
                    return Map.of("endpoint", endpoint);
                });
    }

    public Step stop(String name, int graceSeconds) {
        return stop(name, graceSeconds, AgentSteps::workspaceHost);
    }

    /** As {@link #stop(String, int)}, on the host {@code host} names. */
    public Step stop(String name, int graceSeconds, Function<StepContext, UUID> host) {
        return onHost(name, timeouts.stop(), host, ctx -> new AgentCommand.StopVm(graceSeconds));
    }

    public Step destroy(String name) {
        return onHost(name, timeouts.destroy(), ctx -> new AgentCommand.DestroyVm());
    }

    public Step resize(String name) {
        return onHost(
                name,
                timeouts.resize(),
                ctx -> new AgentCommand.ResizeVm(ctx.workspace().envelope()));
    }

    /** Removes the workspace's local data on its host (after a verified snapshot). */
    public Step wipe(String name) {
        return wipe(name, AgentSteps::workspaceHost);
    }

    /** As {@link #wipe(String)}, on the host {@code host} names. */
    public Step wipe(String name, Function<StepContext, UUID> host) {
        return onHost(name, timeouts.destroy(), host, ctx -> new AgentCommand.WipeDisk());
    }

    /**
     * Has the host's edge route this workspace as it will be once the operation succeeds (its row
     * still shows the state it is leaving): records that route, then sends the host its table,
     * which the agent link derives from committed state when the command is sent. The route is
     * recorded only when the command is first enqueued, in the same transaction.
     */
    public Step routes(String name, Function<StepContext, WorkspaceState> stateAfter) {
        return onHost(name, timeouts.routes(), ctx -> {
            ctx.tx().workspaces().setEdgeMode(ctx.workspace().id(), EdgeMode.of(stateAfter.apply(ctx)));
            return new AgentCommand.ApplyEdgeRoutes();
        });
    }

    /** Routes for the state the operation's verb leads to. */
    public Step routes() {
        return routes(
                "routes",
                ctx -> Lifecycle.target(ctx.operation().verb(), ctx.workspace().state())
                        .orElse(ctx.workspace().state()));
    }

    /** Routes for the state the workspace is in now (after a rollback). */
    public Step routesAsIs(String name) {
        return routes(name, ctx -> ctx.workspace().state());
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
     * Sends the host {@code host} names (nothing when it names none, or it is lost) its table,
     * derived when sent. Not waited for: the host applies it whenever it is connected again.
     */
    public Step routesOn(String name, Function<StepContext, UUID> host) {
        return Step.of(name, timeouts.routes(), ctx -> {
            UUID target = host.apply(ctx);
            if (target != null && !ctx.tx().fleet().isLost(target)) {
                AgentCommandStep.send(link, ctx, name, target, new AgentCommand.ApplyEdgeRoutes(), null);
            }
            return StepOutcome.done();
        });
    }

    public AgentCommandStep onHost(String name, Duration timeout, Function<StepContext, AgentCommand> command) {
        return onHost(name, timeout, AgentSteps::workspaceHost, command);
    }

    /** A command whose result carries nothing the operation keeps, sent to the host {@code host} names. */
    public AgentCommandStep onHost(
            String name,
            Duration timeout,
            Function<StepContext, UUID> host,
            Function<StepContext, AgentCommand> command) {
        return onHost(name, timeout, host, command, (ctx, result) -> Map.of());
    }

    /** The host the operation's workspace is placed on: where most steps run. */
    public static UUID workspaceHost(StepContext ctx) {
        return ctx.workspace().hostId();
    }

    public AgentCommandStep onHost(
            String name,
            Duration timeout,
            Function<StepContext, UUID> host,
            Function<StepContext, AgentCommand> command,
            BiFunction<StepContext, AgentResult, Map<String, String>> onSuccess) {
        return new AgentCommandStep(name, timeout, link, host, command, onSuccess);
    }

    public StepTimeouts timeouts() {
        return timeouts;
    }
}
