package dev.spinup.controlplane.api;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import dev.spinup.api.v1.ErrorReason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * An error a caller sees: a gRPC status plus a google.rpc.ErrorInfo whose reason comes from the
 * closed {@link ErrorReason} enum. Thrown anywhere below the gRPC edge; {@link ApiErrorInterceptor}
 * turns it into the call's status.
 */
public final class ApiException extends RuntimeException {
    public static final String DOMAIN = "spinup.dev";

    private final Status.Code code;
    private final ErrorReason reason;
    private final Map<String, String> metadata;

    /** Longest message and metadata value a caller is sent: an error never echoes unbounded input. */
    static final int MAX_MESSAGE = 1024;
    static final int MAX_METADATA_VALUE = 256;

    public ApiException(Status.Code code, ErrorReason reason, String message, Map<String, String> metadata) {
        super(cut(requireNonNull(message, "message"), MAX_MESSAGE));
        this.code = requireNonNull(code, "code");
        this.reason = requireNonNull(reason, "reason");
        Map<String, String> bounded = new java.util.TreeMap<>();
        metadata.forEach((k, v) -> bounded.put(k, cut(v, MAX_METADATA_VALUE)));
        this.metadata = Map.copyOf(bounded);
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }

    public static ApiException invalidArgument(ErrorReason reason, String message) {
        return new ApiException(Status.Code.INVALID_ARGUMENT, reason, message, Map.of());
    }

    public static ApiException invalidField(ErrorReason reason, String field, String message) {
        return new ApiException(Status.Code.INVALID_ARGUMENT, reason, message, Map.of("field", field));
    }

    public static ApiException notFound(ErrorReason reason, String message) {
        return new ApiException(Status.Code.NOT_FOUND, reason, message, Map.of());
    }

    public static ApiException failedPrecondition(ErrorReason reason, String message, Map<String, String> metadata) {
        return new ApiException(Status.Code.FAILED_PRECONDITION, reason, message, metadata);
    }

    public static ApiException unauthenticated(ErrorReason reason, String message) {
        return new ApiException(Status.Code.UNAUTHENTICATED, reason, message, Map.of());
    }

    public static ApiException permissionDenied(ErrorReason reason, String message, Map<String, String> metadata) {
        return new ApiException(Status.Code.PERMISSION_DENIED, reason, message, metadata);
    }

    public static ApiException unimplemented(String method) {
        return new ApiException(Status.Code.UNIMPLEMENTED, ErrorReason.NOT_IMPLEMENTED,
                method + " is part of the v1 API but is not implemented in this release", Map.of("method", method));
    }

    public Status.Code code() {
        return code;
    }

    public ErrorReason reason() {
        return reason;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public StatusRuntimeException toStatusRuntimeException() {
        ErrorInfo info = ErrorInfo.newBuilder()
                .setDomain(DOMAIN)
                .setReason(reason.name())
                .putAllMetadata(metadata)
                .build();
        com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
                .setCode(code.value())
                .setMessage(getMessage())
                .addDetails(Any.pack(info))
                .build();
        return StatusProto.toStatusRuntimeException(status);
    }
}
