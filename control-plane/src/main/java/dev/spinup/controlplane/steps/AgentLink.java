package dev.spinup.controlplane.steps;

import dev.spinup.controlplane.store.Tx;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * How steps reach host agents: a durable outbox, written in the step's transaction and delivered
 * by the agent link once it commits (and again on every new session until the result is in). An
 * agent runs each command id at most once.
 */
public interface AgentLink {
    /**
     * A command as a step sends it. {@code deadline}: after it the agent need not start it (null:
     * none); {@code traceContext}: the step's, so the agent's work joins its trace.
     */
    record Outgoing(
            String commandId,
            UUID operationId,
            UUID workspaceId,
            String step,
            Instant deadline,
            Map<String, String> traceContext,
            AgentCommand command) {
        public Outgoing {
            traceContext = Map.copyOf(traceContext);
        }
    }

    /** A command in the outbox: {@code result} null until the agent reported; {@code sentAt} null until it went out. */
    record Sent(
            String commandId, UUID hostId, String description, AgentResult result, Instant createdAt, Instant sentAt) {}

    /** Enqueues the command for {@code hostId} in {@code tx}, unless its id is enqueued already. */
    void send(Tx tx, UUID hostId, Outgoing command);

    Optional<Sent> find(Tx tx, String commandId);
}
