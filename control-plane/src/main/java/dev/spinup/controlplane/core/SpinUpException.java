package dev.spinup.controlplane.core;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.TreeMap;

/**
 * A refusal a caller sees: what kind of failure it is, a reason from the closed {@link ErrorReason}
 * set, a message and metadata. Thrown from any layer; only the gRPC edge turns it into a status
 * (with a google.rpc.ErrorInfo). Messages and metadata are cut to a bound, so an error never echoes
 * unbounded input.
 */
public final class SpinUpException extends RuntimeException {
    /** The kinds of failure, as the canonical error codes name them (a caller branches on the reason). */
    public enum Kind {
        INVALID_ARGUMENT,
        NOT_FOUND,
        ALREADY_EXISTS,
        FAILED_PRECONDITION,
        ABORTED,
        RESOURCE_EXHAUSTED,
        UNAUTHENTICATED,
        PERMISSION_DENIED,
        UNAVAILABLE,
        UNIMPLEMENTED,
        INTERNAL
    }

    /** Longest message and metadata value a caller is sent. */
    public static final int MAX_MESSAGE = 1024;

    public static final int MAX_METADATA_VALUE = 256;

    private final Kind kind;
    private final ErrorReason reason;
    private final Map<String, String> metadata;

    public SpinUpException(Kind kind, ErrorReason reason, String message, Map<String, String> metadata) {
        super(cut(requireNonNull(message, "message"), MAX_MESSAGE));
        this.kind = requireNonNull(kind, "kind");
        this.reason = requireNonNull(reason, "reason");
        Map<String, String> bounded = new TreeMap<>();
        metadata.forEach((k, v) -> bounded.put(k, cut(v, MAX_METADATA_VALUE)));
        this.metadata = Map.copyOf(bounded);
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }

    public static SpinUpException invalidArgument(ErrorReason reason, String message) {
        return new SpinUpException(Kind.INVALID_ARGUMENT, reason, message, Map.of());
    }

    public static SpinUpException invalidField(ErrorReason reason, String field, String message) {
        return new SpinUpException(Kind.INVALID_ARGUMENT, reason, message, Map.of("field", field));
    }

    /**
     * NOT_FOUND for the thing {@code key} names (metadata key, lowerCamelCase per AIP-193, e.g.
     * "workspaceId"): every value the message names is in the metadata too.
     */
    public static SpinUpException notFound(ErrorReason reason, String key, Object id, String message) {
        return new SpinUpException(Kind.NOT_FOUND, reason, message, Map.of(key, String.valueOf(id)));
    }

    public static SpinUpException workspaceNotFound(java.util.UUID id) {
        return notFound(ErrorReason.WORKSPACE_NOT_FOUND, "workspaceId", id, "no workspace " + id);
    }

    public static SpinUpException failedPrecondition(ErrorReason reason, String message, Map<String, String> metadata) {
        return new SpinUpException(Kind.FAILED_PRECONDITION, reason, message, metadata);
    }

    public static SpinUpException unauthenticated(ErrorReason reason, String message) {
        return new SpinUpException(Kind.UNAUTHENTICATED, reason, message, Map.of());
    }

    public static SpinUpException permissionDenied(ErrorReason reason, String message, Map<String, String> metadata) {
        return new SpinUpException(Kind.PERMISSION_DENIED, reason, message, metadata);
    }

    public static SpinUpException unimplemented(String method) {
        return new SpinUpException(
                Kind.UNIMPLEMENTED,
                ErrorReason.NOT_IMPLEMENTED,
                method + " is part of the v1 API but is not implemented in this release",
                Map.of("method", method));
    }

    public Kind kind() {
        return kind;
    }

    public ErrorReason reason() {
        return reason;
    }

    public Map<String, String> metadata() {
        return metadata;
    }
}
