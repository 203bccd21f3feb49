package dev.spinup.controlplane.store;

import dev.spinup.controlplane.core.Envelope;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Where a workspace can go. Capacity is derived (a host's total minus its active and suspended
 * workspaces), so a placement holds the chosen host's row until its transaction commits.
 */
public interface PlacementStore {
    /**
     * A healthy host of the region, heartbeating since {@code leaseCutoff}, with room for
     * {@code envelope}, locked until the transaction ends; empty if none has room.
     */
    Choice place(String regionId, Envelope envelope, Instant leaseCutoff);

    /**
     * The host chosen, if any, and how many hosts were found full on a second look (locked on an
     * allocation that a concurrent placement had just changed).
     */
    record Choice(Optional<UUID> host, int stalePicks) {}

    /** What the host has left for {@code workspaceId} (its total minus every other workspace on it), the host locked. */
    Envelope roomOnHost(UUID hostId, UUID workspaceId);
}
