package dev.spinup.controlplane.store;

import java.time.Instant;
import java.util.UUID;

/** Agent events the control plane refused for good, kept for the operator. */
public interface RefusedEventStore {
    /** {@code event}: the event as the agent sent it (cut to a bound by the caller). */
    void insert(UUID hostId, long seq, String kind, String reason, String message, byte[] event, Instant now);
}
