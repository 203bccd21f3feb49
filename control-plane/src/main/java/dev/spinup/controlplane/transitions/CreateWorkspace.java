package dev.spinup.controlplane.transitions;

import static java.util.Objects.requireNonNull;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.ProjectTemplate;
import java.util.Map;

/** A validated CreateWorkspace request. */
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
        Map<String, String> labels) {
    public CreateWorkspace {
        requireNonNull(requestId, "requestId");
        requireNonNull(fingerprint, "fingerprint");
        requireNonNull(envelope, "envelope");
        labels = Map.copyOf(labels);
    }
}
