package dev.spinup.controlplane.steps;

import static java.util.Objects.requireNonNull;

import java.util.UUID;

/**
 * What a host agent reported for a command. {@code errorCode} is a short machine-readable code
 * (empty on success); {@code detail} what the command produced.
 */
public record AgentResult(boolean succeeded, String errorCode, String message, Detail detail) {
    /** The agent's code for a command it accepted before a restart and has no result for. */
    public static final String LOST_IN_RESTART = "agent_reconnected_without_completion";

    public AgentResult {
        requireNonNull(errorCode, "errorCode");
        requireNonNull(message, "message");
        requireNonNull(detail, "detail");
    }

    public sealed interface Detail {}

    public record NoDetail() implements Detail {}

    /** Where the workspace's app answers, e.g. "http://10.0.0.5:20001". */
    /** @param ideEndpoint where its IDE answers, on hosts that run one; empty otherwise */
    public record VmStarted(String endpoint, String ideEndpoint) implements Detail {}

    /** {@code baseSnapshotId}: set when the archive is a differential against that full snapshot. */
    public record SnapshotTaken(long sizeBytes, String sha256Hex, String tool, UUID baseSnapshotId) implements Detail {}

    public VmStarted vmStarted() {
        return detail(VmStarted.class);
    }

    public SnapshotTaken snapshotTaken() {
        return detail(SnapshotTaken.class);
    }

    private <T extends Detail> T detail(Class<T> type) {
        if (!type.isInstance(detail)) {
            throw new IllegalStateException("the agent's result carries " + detail + ", not " + type.getSimpleName());
        }
        return type.cast(detail);
    }
}
