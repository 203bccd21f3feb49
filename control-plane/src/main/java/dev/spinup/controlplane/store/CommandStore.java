package dev.spinup.controlplane.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The durable outbox of commands to host agents (agent_commands), as the agent link encodes them.
 * A command stays outstanding until its result is recorded; the agent executes each id at most once.
 */
public interface CommandStore {
    /** {@code command} and {@code result} as the agent protocol encodes them; {@code result} null until there is one. */
    record Stored(
            String commandId,
            UUID hostId,
            UUID operationId,
            String state,
            byte[] command,
            byte[] result,
            Instant createdAt,
            Instant sentAt) {}

    /** A command for the host that has no result yet; {@code command} null when the caller said it already has it. */
    record Outstanding(String commandId, byte[] command) {}

    /** Enqueues the command unless its id exists (a step run twice enqueues once). Returns whether this call inserted it. */
    boolean enqueue(String commandId, UUID hostId, UUID operationId, String kind, byte[] command, Instant now);

    Optional<Stored> find(String commandId);

    Optional<UUID> hostOf(String commandId);

    /** The host's commands that have no result yet, oldest first, without the bytes of those in {@code alreadySent}. */
    List<Outstanding> outstanding(UUID hostId, Collection<String> alreadySent);

    /** The jobs of operations in flight that wait for a result from the host. */
    List<String> jobsAwaiting(UUID hostId);

    /** The command, {@code bytes} long as completed for this send, goes out now. */
    void markSent(String commandId, int bytes, Instant now);

    /** The agent has the command durably (its ack said accepted). */
    void markAccepted(UUID hostId, String commandId, Instant now);

    /**
     * Records the command's result once ({@code state}: succeeded, failed or rejected; a replayed
     * result changes nothing). Returns the job id of the operation to wake, when this call recorded it
     * (none for a command outside any operation, such as a routing table pushed with new access keys).
     */
    Optional<String> recordResult(UUID hostId, String commandId, String state, byte[] result, Instant now);
}
