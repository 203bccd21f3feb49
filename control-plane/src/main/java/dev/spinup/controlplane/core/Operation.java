package dev.spinup.controlplane.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** One transition of one workspace (a row of operations). */
public record Operation(
        UUID id,
        UUID workspaceId,
        OperationVerb verb,
        OperationStatus status,
        String requestId,
        String requestFingerprint,
        Map<String, String> params,
        String actor,
        StepState stepState,
        String jobId,
        String errorReason,
        String errorMessage,
        Instant requestedAt,
        Instant startedAt,
        Instant completedAt,
        int version) {
    public Operation {
        requireNonNull(id, "id");
        requireNonNull(workspaceId, "workspaceId");
        requireNonNull(verb, "verb");
        requireNonNull(status, "status");
        requireNonNull(stepState, "stepState");
        params = Map.copyOf(params);
    }
}
