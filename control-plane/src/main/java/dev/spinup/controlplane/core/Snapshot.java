package dev.spinup.controlplane.core;

import java.time.Instant;
import java.util.UUID;

/**
 * A snapshot of a workspace's disk in object storage. {@code baseId} is set on a differential
 * snapshot: restoring it needs that full one first. {@code sizeBytes} is -1, and {@code sha256Hex}
 * and {@code tool} null, while it uploads.
 */
public record Snapshot(
        UUID id,
        UUID workspaceId,
        String objectUri,
        long sizeBytes,
        String sha256Hex,
        String tool,
        String kind,
        UUID baseId,
        Instant createdAt,
        Instant verifiedAt,
        Instant purgedAt) {
    public boolean uploaded() {
        return sha256Hex != null;
    }
}
