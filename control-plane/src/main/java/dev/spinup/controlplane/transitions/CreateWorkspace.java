package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.Envelope;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/** A validated CreateWorkspace request. */
public record CreateWorkspace(String requestId, String fingerprint, String externalWorkspaceId, String externalUserId,
                              String displayName, String regionId, Flavor flavor, Envelope envelope,
                              ProjectTemplate template, Map<String, String> labels) {
    public CreateWorkspace {
        requireNonNull(requestId, "requestId");
        requireNonNull(fingerprint, "fingerprint");
        requireNonNull(envelope, "envelope");
        labels = Map.copyOf(labels);
    }
}
