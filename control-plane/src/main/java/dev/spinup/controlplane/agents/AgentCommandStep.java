package dev.spinup.controlplane.agents;

import dev.spinup.api.TraceContext;
import com.google.protobuf.Timestamp;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CommandOrBuilder;
import dev.spinup.api.v1.CommandResult;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.operations.Step;
import dev.spinup.controlplane.operations.StepContext;
import dev.spinup.controlplane.operations.StepOutcome;
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
    private final AgentSessions sessions;
    private final CommandOutbox outbox;
    private final Function<StepContext, UUID> host;
    private final Function<StepContext, Command.Builder> command;
    private final BiFunction<StepContext, CommandResult, Map<String, String>> onSuccess;

    public AgentCommandStep(String name, Duration timeout, AgentSessions sessions, CommandOutbox outbox,
                            Function<StepContext, UUID> host, Function<StepContext, Command.Builder> command,
                            BiFunction<StepContext, CommandResult, Map<String, String>> onSuccess) {
        this.name = name;
        this.timeout = timeout;
        this.sessions = sessions;
        this.outbox = outbox;
        this.host = host;
        this.command = command;
        this.onSuccess = onSuccess;
    }

    /** The agent's error code for a command it accepted before a restart and has no result for. */
    static final String LOST_IN_RESTART = "agent_reconnected_without_completion";

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
     * then (see {@link CommandRenderer}).
     */
    static void send(AgentSessions sessions, StepContext ctx, String name, UUID hostId, Command.Builder command,
                     Instant deadline) {
        int attempt = ctx.step() == null ? 1 : ctx.step().attempts();
        command.setCommandId(commandId(ctx.operation().id(), name, attempt))
                .setOperationId(ctx.operation().id().toString())
                .setWorkspaceId(ctx.workspace().id().toString())
                .setStep(name)
                .putAllTraceContext(TraceContext.current());
        if (deadline != null) {
            command.setDeadline(Timestamp.newBuilder().setSeconds(deadline.getEpochSecond()).setNanos(deadline.getNano()));
        }
        sessions.enqueue(ctx.tx(), hostId, command.build());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public java.time.Duration retryWindow() {
        return timeout;
    }

    @Override
    public StepOutcome execute(StepContext ctx) {
        String id = commandId(ctx.operation().id(), name, ctx.step().attempts());
        Optional<CommandOutbox.Recorded> recorded = outbox.find(ctx.tx(), id);
        if (recorded.isEmpty()) {
            UUID hostId = host.apply(ctx);
            // A retry (past the verb's point of no return) keeps the first attempt's deadline.
            Instant deadline = ctx.step().deadline() != null ? ctx.step().deadline() : ctx.now().plus(timeout);
            Command.Builder toSend = command.apply(ctx);
            send(sessions, ctx, name, hostId, toSend, deadline);
            return new StepOutcome.Wait(waitingOn(hostId, toSend), deadline);
        }
        CommandOutbox.Recorded r = recorded.get();
        if (r.completed()) {
            if (r.succeeded()) {
                return new StepOutcome.Done(onSuccess.apply(ctx, r.result()));
            }
            ErrorReason reason = LOST_IN_RESTART.equals(r.result().getErrorCode())
                    ? ErrorReason.AGENT_RECONNECTED_WITHOUT_COMPLETION : ErrorReason.AGENT_COMMAND_FAILED;
            return new StepOutcome.Fail(reason,
                    "host " + r.hostId() + " could not " + describe(r.command()) + ": " + r.result().getMessage());
        }
        Instant deadline = ctx.step().deadline() != null ? ctx.step().deadline() : r.createdAt().plus(timeout);
        if (!ctx.now().isBefore(deadline)) {
            return new StepOutcome.Fail(ErrorReason.STEP_DEADLINE_EXCEEDED, "host " + r.hostId() + " did not report "
                    + "the result of " + describe(r.command()) + " within " + timeout.toSeconds() + "s"
                    + (r.sentAt() == null ? " (the command was never delivered: is the host connected?)" : ""));
        }
        return new StepOutcome.Wait(waitingOn(r.hostId(), r.command()), deadline);
    }

    private static String waitingOn(UUID hostId, CommandOrBuilder command) {
        return "host " + hostId + " to report the " + describe(command) + " result";
    }

    static String describe(CommandOrBuilder command) {
        return switch (command.getKindCase()) {
            case PROVISION_VM -> "ProvisionVm";
            case START_VM -> "StartVm";
            case STOP_VM -> "StopVm";
            case DESTROY_VM -> "DestroyVm";
            case TAKE_SNAPSHOT -> "TakeSnapshot";
            case RESTORE_SNAPSHOT -> "RestoreSnapshot";
            case WIPE_DISK -> "WipeDisk";
            case RESIZE_VM -> "ResizeVm";
            case APPLY_EDGE_ROUTES -> "ApplyEdgeRoutes";
            case KIND_NOT_SET -> "an empty command";
        };
    }
}
