package dev.spinup.controlplane.agents;

import dev.spinup.api.v1.Command;
import dev.spinup.controlplane.store.Tx;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;

/**
 * Completes a command at the moment it is sent, with what must be as fresh as the send itself: a
 * host's routing table (derived from committed state under the next generation) and presigned
 * object-storage URLs (signed for the time the command may still run, whenever it is delivered).
 * The outbox keeps the command as the step enqueued it; every send, also a resend after a
 * reconnect, completes it anew.
 */
public final class CommandRenderer {
    /** Completes one kind of command, inside the send's transaction. Must not call out of the process. */
    @FunctionalInterface
    public interface Part {
        Command render(Tx tx, UUID hostId, Command stored, Instant now);
    }

    private final Map<Command.KindCase, Part> parts;

    public CommandRenderer(Map<Command.KindCase, Part> parts) {
        this.parts = new EnumMap<>(Command.KindCase.class);
        this.parts.putAll(parts);
    }

    public Command render(Tx tx, UUID hostId, Command stored, Instant now) {
        Part part = parts.get(stored.getKindCase());
        return part == null ? stored : part.render(tx, hostId, stored, now);
    }
}
