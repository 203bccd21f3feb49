package dev.spinup.controlplane.fleet;

import java.time.Instant;

public record Region(String id, String displayName, String state, Instant createdAt) {}
