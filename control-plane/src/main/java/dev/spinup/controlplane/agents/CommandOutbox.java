package dev.spinup.controlplane.agents;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CommandOutcome;
import dev.spinup.api.v1.CommandResult;
import dev.spinup.controlplane.db.Database.Tx;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * agent_commands: the durable outbox of commands to host agents. A command stays outstanding
 * until the agent's result is recorded, and is resent on every new session; the agent executes
 * each command_id at most once. See {@link AgentSessions#enqueue} for how one is sent.
 */
public final class CommandOutbox {
    public static final String NOTIFY_CHANNEL = "spinup_agent_commands";

    public record Recorded(String commandId, UUID hostId, UUID operationId, String state, Command command,
                           CommandResult result, Instant createdAt, Instant sentAt) {
        public boolean completed() {
            return result != null;
        }

        public boolean succeeded() {
            return result != null && result.getOutcome() == CommandOutcome.COMMAND_SUCCEEDED;
        }
    }

    /**
     * Enqueues the command unless it already exists (a step run twice enqueues once) and NOTIFYs
     * the replicas at commit. Returns whether this call inserted it.
     */
    public boolean enqueue(Tx tx, UUID hostId, Command command, Instant now) {
        int inserted = tx.handle().createUpdate("""
                        INSERT INTO agent_commands (command_id, host_id, operation_id, kind, command, created_at)
                        VALUES (:id, :host, :op, :kind, :command, :now)
                        ON CONFLICT (command_id) DO NOTHING""")
                .bind("id", command.getCommandId())
                .bind("host", hostId)
                .bind("op", UUID.fromString(command.getOperationId()))
                .bind("kind", command.getKindCase().name())
                .bind("command", command.toByteArray())
                .bind("now", Timestamp.from(now))
                .execute();
        if (inserted == 1) {
            tx.handle().execute("SELECT pg_notify(?, ?)", NOTIFY_CHANNEL, hostId.toString());
        }
        return inserted == 1;
    }

    public Optional<Recorded> find(Handle h, String commandId) {
        return h.createQuery("""
                        SELECT command_id, host_id, operation_id, state, command, result, created_at, sent_at
                        FROM agent_commands WHERE command_id = :id""")
                .bind("id", commandId)
                .map((rs, ctx) -> new Recorded(
                        rs.getString("command_id"),
                        rs.getObject("host_id", UUID.class),
                        rs.getObject("operation_id", UUID.class),
                        rs.getString("state"),
                        parseCommand(rs.getBytes("command")),
                        rs.getBytes("result") == null ? null : parseResult(rs.getBytes("result")),
                        rs.getTimestamp("created_at").toInstant(),
                        rs.getTimestamp("sent_at") == null ? null : rs.getTimestamp("sent_at").toInstant()))
                .findOne();
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
    public List<Outstanding> outstanding(Handle h, UUID hostId, Collection<String> alreadySent) {
        return h.createQuery("""
                        SELECT command_id, CASE WHEN command_id = ANY(:sent) THEN NULL ELSE command END AS command
                        FROM agent_commands
                        WHERE host_id = :host AND state IN ('pending', 'acked') ORDER BY created_at, command_id""")
                .bind("host", hostId)
                .bindArray("sent", String.class, List.copyOf(alreadySent))
                .map((rs, ctx) -> {
                    byte[] command = rs.getBytes("command");
                    return new Outstanding(rs.getString("command_id"), command == null ? null : parseCommand(command));
                })
                .list();
    }

    /** The command, {@code bytes} long as completed for this send, goes out now. */
    public void markSent(Handle h, String commandId, int bytes, Instant now) {
        h.createUpdate("""
                        UPDATE agent_commands SET sent_at = :now, send_count = send_count + 1, sent_bytes = :bytes
                        WHERE command_id = :id""")
                .bind("id", commandId).bind("bytes", bytes).bind("now", Timestamp.from(now)).execute();
    }

    /** The agent has the command durably (its ack said accepted). */
    public void markAccepted(Handle h, UUID hostId, String commandId, Instant now) {
        h.createUpdate("""
                        UPDATE agent_commands SET state = 'acked', acked_at = :now
                        WHERE command_id = :id AND host_id = :host AND state = 'pending'""")
                .bind("id", commandId).bind("host", hostId).bind("now", Timestamp.from(now)).execute();
    }

    /**
     * The agent refused the command (its ack said why): that is the command's result. Returns the
     * job id of the operation to wake, when this call recorded it.
     */
    public Optional<String> recordRejection(Handle h, UUID hostId, String commandId, String reason, Instant now) {
        return recordRefusal(h, hostId, commandId, "rejected", "the agent rejected the command: " + reason, now);
    }

    /**
     * The command will never be executed ({@code code}: why, e.g. the agent rejected it, or it is
     * too large to send): that is its result. Returns the job id of the operation to wake, when this
     * call recorded it.
     */
    public Optional<String> recordRefusal(Handle h, UUID hostId, String commandId, String code, String message,
                                          Instant now) {
        CommandResult refused = CommandResult.newBuilder()
                .setCommandId(commandId)
                .setOutcome(CommandOutcome.COMMAND_FAILED)
                .setErrorCode(code)
                .setMessage(message)
                .build();
        return recordResult(h, hostId, refused, "rejected", now);
    }

    /**
     * Records the agent's result once (a replayed result changes nothing). Returns the job id of the
     * operation to wake, when this call recorded it.
     */
    public Optional<String> recordResult(Handle h, UUID hostId, CommandResult result, Instant now) {
        String state = result.getOutcome() == CommandOutcome.COMMAND_SUCCEEDED ? "succeeded" : "failed";
        return recordResult(h, hostId, result, state, now);
    }

    private Optional<String> recordResult(Handle h, UUID hostId, CommandResult result, String state, Instant now) {
        return h.createQuery("""
                        UPDATE agent_commands c SET state = :state, result = :result, completed_at = :now
                        FROM operations o
                        WHERE c.command_id = :id AND c.host_id = :host AND c.completed_at IS NULL
                          AND o.id = c.operation_id
                        RETURNING o.job_id""")
                .bind("state", state)
                .bind("result", result.toByteArray())
                .bind("now", Timestamp.from(now))
                .bind("id", result.getCommandId())
                .bind("host", hostId)
                .mapTo(String.class)
                .findOne();
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
