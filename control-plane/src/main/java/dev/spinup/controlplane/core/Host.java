package dev.spinup.controlplane.core;

import java.time.Instant;
import java.util.UUID;

/** A host of a region; {@code state} holds since {@code stateSince}, for {@code stateReason}. */
public record Host(
        UUID id,
        String regionId,
        String fqdn,
        HostState state,
        Instant stateSince,
        String stateReason,
        Envelope total,
        Instant lastHeartbeatAt) {}
