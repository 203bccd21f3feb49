package dev.spinup.controlplane.core;

import java.time.Instant;
import java.util.UUID;

public record Host(UUID id, String regionId, String fqdn, HostState state, Envelope total, Instant lastHeartbeatAt) {}
