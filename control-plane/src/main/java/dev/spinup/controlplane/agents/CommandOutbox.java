package dev.spinup.controlplane.agents;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CommandOutcome;
import dev.spinup.api.v1.CommandResult;
import dev.spinup.controlplane.store.Tx;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * agent_commands: the durable outbox of commands to host agents. A command stays outstanding
 * until the agent's result is recorded, and is resent on every new session; the agent executes
 * each command_id at most once. See {@link AgentSessions#enqueue} for how one is sent.
 */
public final class CommandOutbox {
    public static final String NOTIFY_CHANNEL = "spinup_agent_commands";

    public record Recorded(
            String commandId,
            UUID hostId,
            UUID operationId,
            String state,
            Command command,
            CommandResult result,
            Instant createdAt,
            Instant sentAt) {
        public boolean completed() {
            return result != null;
        }

        public boolean succeeded() {
            return result != null && result.getOutcome() == CommandOutcome.COMMAND_OUTCOME_SUCCEEDED;
        }
    }

    /**
     * Enqueues the command unless it already exists (a step run twice enqueues once) and NOTIFYs
     * the replicas at commit. Returns whether this call inserted it.
     */
    public boolean enqueue(Tx tx, UUID hostId, Command command, Instant now) {
        boolean inserted = tx.commands()
                .enqueue(
                        command.getCommandId(),
                        hostId,
                        command.getOperationId().isEmpty() ? null : UUID.fromString(command.getOperationId()),
                        command.getKindCase().name(),
                        command.toByteArray(),
                        now);
        if (inserted) {
            tx.notify(NOTIFY_CHANNEL, hostId.toString());
        }
        return inserted;
    }

    public Optional<Recorded> find(Tx tx, String commandId) {
        return tx.commands()
                .find(commandId)
                .map(c -> new Recorded(
                        c.commandId(),
                        c.hostId(),
                        c.operationId(),
                        c.state(),
                        parseCommand(c.command()),
                        c.result() == null ? null : parseResult(c.result()),
                        c.createdAt(),
                        c.sentAt()));
    }

    /**
     * A command for the host that has no result yet; {@code command} is null when the caller said
     * it already has it.
     */
    public record Outstanding(String commandId, Command command) {}

    /**
     * The host's commands that have no result yet, oldest first, each with its bytes unless its id
     * is in {@code alreadySent} (a routing table can be megabytes; a sender needs only new ones).
     */
    public List<Outstanding> outstanding(Tx tx, UUID hostId, Collection<String> alreadySent) {
        return tx.commands().outstanding(hostId, alreadySent).stream()
                .map(o -> new Outstanding(o.commandId(), o.command() == null ? null : parseCommand(o.command())))
                .toList();
    }

    /**
     * The agent refused the command (its ack said why): that is the command's result. Returns the
     * job id of the operation to wake, when this call recorded it.
     */
    public Optional<String> recordRejection(Tx tx, UUID hostId, String commandId, String reason, Instant now) {
        return recordRefusal(tx, hostId, commandId, "rejected", "the agent rejected the command: " + reason, now);
    }

    /**
     * The command will never be executed ({@code code}: why, e.g. the agent rejected it, or it is
     * too large to send): that is its result. Returns the job id of the operation to wake, when this
     * call recorded it.
     */
    public Optional<String> recordRefusal(
            Tx tx, UUID hostId, String commandId, String code, String message, Instant now) {
        CommandResult refused = CommandResult.newBuilder()
                .setCommandId(commandId)
                .setOutcome(CommandOutcome.COMMAND_OUTCOME_FAILED)
                .setErrorCode(code)
                .setMessage(message)
                .build();
        return tx.commands().recordResult(hostId, commandId, "rejected", refused.toByteArray(), now);
    }

    /**
     * Records the agent's result once (a replayed result changes nothing). Returns the job id of the
     * operation to wake, when this call recorded it.
     */
    public Optional<String> recordResult(Tx tx, UUID hostId, CommandResult result, Instant now) {
        String state = result.getOutcome() == CommandOutcome.COMMAND_OUTCOME_SUCCEEDED ? "succeeded" : "failed";
        return tx.commands().recordResult(hostId, result.getCommandId(), state, result.toByteArray(), now);
    }

    private static Command parseCommand(byte[] bytes) {
        try {
            return Command.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt command in agent_commands", e);
        }
    }

    private static CommandResult parseResult(byte[] bytes) {
        try {
            return CommandResult.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt result in agent_commands", e);
        }
    }
}
