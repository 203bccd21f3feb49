package dev.spinup.controlplane.transitions;

import static java.util.Objects.requireNonNull;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.ProjectTemplate;
import java.util.Map;

/**
 * A validated CreateWorkspace request, or a ForkWorkspace one: a create whose disk comes from
 * {@code fork}'s snapshot instead of the template (null for a plain create).
 */
public record CreateWorkspace(
        String requestId,
        String fingerprint,
        String externalWorkspaceId,
        String externalUserId,
        String displayName,
        String regionId,
        Flavor flavor,
        Envelope envelope,
        ProjectTemplate template,
        Map<String, String> labels,
        Fork fork) {
    /** The workspace a fork is made from, and which of its snapshots. */
    public record Fork(java.util.UUID sourceWorkspaceId, java.util.UUID snapshotId) {}

    public CreateWorkspace {
        requireNonNull(requestId, "requestId");
        requireNonNull(fingerprint, "fingerprint");
        requireNonNull(envelope, "envelope");
        labels = Map.copyOf(labels);
    }
}
