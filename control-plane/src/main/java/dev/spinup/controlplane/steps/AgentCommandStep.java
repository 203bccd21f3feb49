package dev.spinup.controlplane.steps;

import dev.spinup.api.TraceContext;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.engine.StepContext;
import dev.spinup.controlplane.engine.StepOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A step that has a host agent do something: it enqueues one command (command_id = operation id /
 * step name, so running the step twice enqueues once), then waits for the agent's result without
 * holding a thread, and fails with STEP_DEADLINE_EXCEEDED if none arrives in time.
 */
public final class AgentCommandStep implements Step {
    private final String name;
    private final Duration timeout;
    private final AgentLink link;
    private final Function<StepContext, UUID> host;
    private final Function<StepContext, AgentCommand> command;
    private final BiFunction<StepContext, AgentResult, Map<String, String>> onSuccess;

    public AgentCommandStep(
            String name,
            Duration timeout,
            AgentLink link,
            Function<StepContext, UUID> host,
            Function<StepContext, AgentCommand> command,
            BiFunction<StepContext, AgentResult, Map<String, String>> onSuccess) {
        this.name = name;
        this.timeout = timeout;
        this.link = link;
        this.host = host;
        this.command = command;
        this.onSuccess = onSuccess;
    }

    public static String commandId(UUID operationId, String step) {
        return operationId + "/" + step;
    }

    /** A step's command for its {@code attempt}: {@code <operation>/<step>}, then {@code <operation>/<step>.<n>} for retries. */
    public static String commandId(UUID operationId, String step, int attempt) {
        return attempt <= 1 ? commandId(operationId, step) : commandId(operationId, step) + "." + attempt;
    }

    /**
     * Enqueues step {@code name}'s command for {@code hostId}: keyed {@code <operation>/<step>},
     * addressed to the operation's workspace, carrying the step's trace context and (if given) its
     * deadline. What must be fresh when it is sent (a routing table, presigned URLs) is filled in
     * then, by the agent link.
     */
    static void send(
            AgentLink link, StepContext ctx, String name, UUID hostId, AgentCommand command, Instant deadline) {
        int attempt = ctx.step() == null ? 1 : ctx.step().attempts();
        link.send(
                ctx.tx(),
                hostId,
                new AgentLink.Outgoing(
                        commandId(ctx.operation().id(), name, attempt),
                        ctx.operation().id(),
                        ctx.workspace().id(),
                        name,
                        deadline,
                        TraceContext.current(),
                        command));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Duration retryWindow() {
        return timeout;
    }

    @Override
    public StepOutcome execute(StepContext ctx) {
        String id = commandId(ctx.operation().id(), name, ctx.step().attempts());
        Optional<AgentLink.Sent> recorded = link.find(ctx.tx(), id);
        if (recorded.isEmpty()) {
            UUID hostId = host.apply(ctx);
            if (ctx.tx().fleet().isLost(hostId)) {
                return hostLost(hostId);
            }
            // A retry (past the verb's point of no return) keeps the first attempt's deadline.
            Instant deadline = ctx.step().deadline() != null
                    ? ctx.step().deadline()
                    : ctx.now().plus(timeout);
            AgentCommand toSend = command.apply(ctx);
            send(link, ctx, name, hostId, toSend, deadline);
            return new StepOutcome.Wait(waitingOn(hostId, toSend.describe()), deadline);
        }
        AgentLink.Sent r = recorded.get();
        if (r.result() != null) {
            if (r.result().succeeded()) {
                return new StepOutcome.Done(onSuccess.apply(ctx, r.result()));
            }
            ErrorReason reason = AgentResult.LOST_IN_RESTART.equals(r.result().errorCode())
                    ? ErrorReason.AGENT_RECONNECTED_WITHOUT_COMPLETION
                    : ErrorReason.AGENT_COMMAND_FAILED;
            return new StepOutcome.Fail(
                    reason,
                    "host " + r.hostId() + " could not " + r.description() + ": "
                            + r.result().message());
        }
        if (ctx.tx().fleet().isLost(r.hostId())) {
            return hostLost(r.hostId());
        }
        Instant deadline = ctx.step().deadline() != null
                ? ctx.step().deadline()
                : r.createdAt().plus(timeout);
        if (!ctx.now().isBefore(deadline)) {
            return new StepOutcome.Fail(
                    ErrorReason.STEP_DEADLINE_EXCEEDED,
                    "host " + r.hostId() + " did not report "
                            + "the result of " + r.description() + " within " + timeout.toSeconds() + "s"
                            + (r.sentAt() == null ? " (the command was never delivered: is the host connected?)" : ""));
        }
        return new StepOutcome.Wait(waitingOn(r.hostId(), r.description()), deadline);
    }

    /** The host is fenced: nothing it does counts any more, so the step fails now, not at its deadline. */
    private static StepOutcome hostLost(UUID hostId) {
        return new StepOutcome.Fail(
                ErrorReason.HOST_LOST, "host " + hostId + " was declared lost: its workspaces are recovered elsewhere");
    }

    private static String waitingOn(UUID hostId, String command) {
        return "host " + hostId + " to report the " + command + " result";
    }
}
