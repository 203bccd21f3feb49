package dev.spinup.cli;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every failure is one line on stderr and an exit code (see {@link Main}'s list). A refused call
 * prints its status, its ErrorInfo reason, the message and the metadata: what a script needs to
 * decide what to do, without a stack trace.
 */
final class Failures {
    static final int UNEXPECTED = 1;
    static final int USAGE = 2;
    static final int INVALID = 3;
    static final int NOT_FOUND = 4;
    static final int NOT_NOW = 5;
    static final int NO_CAPACITY = 6;
    static final int NOT_ALLOWED = 7;
    static final int UNREACHABLE = 8;
    static final int OPERATION_FAILED = 9;
    static final int NOT_IMPLEMENTED = 10;

    private Failures() {}

    /** A setting (flag value, environment, config file) that cannot be used. */
    static final class BadSetting extends RuntimeException {
        BadSetting(String message) {
            super(message);
        }
    }

    /** The operation ended without succeeding; its own line was printed already. */
    static final class OperationFailed extends RuntimeException {
        OperationFailed(String message) {
            super(message);
        }
    }

    static int report(Exception e, PrintWriter err) {
        if (e instanceof StatusRuntimeException s) {
            err.println("spinup: " + describe(s));
            return exitCode(s.getStatus().getCode());
        }
        if (e instanceof BadSetting) {
            err.println("spinup: " + e.getMessage());
            return USAGE;
        }
        if (e instanceof OperationFailed) {
            err.println("spinup: " + e.getMessage());
            return OPERATION_FAILED;
        }
        err.println("spinup: unexpected " + e);
        return UNEXPECTED;
    }

    /** CODE REASON: message (key=value, …); for a server that could not be reached, why. */
    static String describe(StatusRuntimeException e) {
        Status status = e.getStatus();
        Optional<ErrorInfo> info = errorInfo(e);
        if (info.isEmpty()) {
            String why = status.getDescription() != null ? status.getDescription() : "no detail";
            Throwable cause = status.getCause();
            while (cause != null && cause.getCause() != null) {
                cause = cause.getCause();
            }
            return status.getCode() + ": " + why + (cause == null ? "" : " (" + cause.getMessage() + ")");
        }
        String metadata = info.get().getMetadataMap().entrySet().stream()
                .sorted(java.util.Map.Entry.comparingByKey())
                .map(m -> m.getKey() + "=" + m.getValue())
                .collect(Collectors.joining(", "));
        return status.getCode() + " " + info.get().getReason() + ": " + status.getDescription()
                + (metadata.isEmpty() ? "" : " (" + metadata + ")");
    }

    static Optional<ErrorInfo> errorInfo(StatusRuntimeException e) {
        return dev.spinup.api.ErrorInfos.of(e);
    }

    static int exitCode(Status.Code code) {
        return switch (code) {
            case OK -> 0;
            case INVALID_ARGUMENT, OUT_OF_RANGE -> INVALID;
            case NOT_FOUND -> NOT_FOUND;
            case FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS -> NOT_NOW;
            case RESOURCE_EXHAUSTED -> NO_CAPACITY;
            case UNAUTHENTICATED, PERMISSION_DENIED -> NOT_ALLOWED;
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> UNREACHABLE;
            case UNIMPLEMENTED -> NOT_IMPLEMENTED;
            case UNKNOWN, INTERNAL, DATA_LOSS -> UNEXPECTED;
        };
    }
}
