package dev.spinup.controlplane.core;

import java.time.Instant;

public record Region(String id, String displayName, String state, Instant createdAt) {}
