package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.workspaces.Envelope;
import java.time.Instant;
import java.util.UUID;

public record Host(UUID id, String regionId, String fqdn, HostState state, Envelope total, Instant lastHeartbeatAt) {}
