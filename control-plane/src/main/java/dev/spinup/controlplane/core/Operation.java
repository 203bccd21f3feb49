package dev.spinup.controlplane.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * One transition of one workspace (a row of operations). {@code flavor} is the workspace's flavor
 * when the operation was requested (a resize's: the flavor it starts from), so what the operation
 * took is filed under the size it ran at, whatever the workspace is resized to later.
 */
public record Operation(
        UUID id,
        UUID workspaceId,
        OperationVerb verb,
        Flavor flavor,
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
    /** The param of a RECOVER: the time of the snapshot it recovers from (ISO-8601). */
    public static final String RECOVERY_POINT = "recovery_point";

    public Operation {
        requireNonNull(id, "id");
        requireNonNull(workspaceId, "workspaceId");
        requireNonNull(verb, "verb");
        requireNonNull(flavor, "flavor");
        requireNonNull(status, "status");
        requireNonNull(stepState, "stepState");
        params = Map.copyOf(params);
    }
}
