package dev.spinup.controlplane.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

public record Workspace(
        UUID id,
        String externalWorkspaceId,
        String externalUserId,
        String displayName,
        String regionId,
        UUID hostId,
        Flavor flavor,
        Envelope envelope,
        WorkspaceState state,
        UUID currentOperationId,
        ProjectTemplate template,
        Map<String, String> labels,
        String endpoint,
        int snapshotIntervalSeconds,
        int snapshotRetentionCount,
        Instant createdAt,
        Instant updatedAt,
        String ideEndpoint,
        boolean appPublic,
        Instant lastActiveAt,
        List<Integer> previewPorts,
        List<Integer> publicPorts,
        String stateReason) {
    /** Why the control plane put a lost host's workspace in its state: archived with no snapshot. */
    public static final String NO_SNAPSHOT = "no_snapshot";

    public Workspace {
        stateReason = stateReason == null ? "" : stateReason;
        requireNonNull(id, "id");
        requireNonNull(state, "state");
        requireNonNull(flavor, "flavor");
        requireNonNull(envelope, "envelope");
        labels = Map.copyOf(labels);
        previewPorts = previewPorts == null ? List.of() : List.copyOf(previewPorts);
        publicPorts = publicPorts == null ? List.of() : List.copyOf(publicPorts);
    }
}
