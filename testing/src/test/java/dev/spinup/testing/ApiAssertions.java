package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.ErrorInfo;
import dev.spinup.api.v1.ErrorReason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Asserts the error contract: a status code plus an ErrorInfo from the closed reason enum. */
final class ApiAssertions {
    private ApiAssertions() {}

    static ErrorInfo assertError(ThrowingCallable call, Status.Code code, ErrorReason reason) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
        assertThat(e).as("the call should fail with %s / %s", code, reason).isNotNull();
        ErrorInfo info = errorInfo(e);
        assertThat(e.getStatus().getCode()).as("status of %s", info).isEqualTo(code);
        assertThat(info.getDomain()).isEqualTo("spinup.dev");
        assertThat(info.getReason())
                .as(
                        "reason (status %s: %s)",
                        e.getStatus().getCode(), e.getStatus().getDescription())
                .isEqualTo(reason.name().substring("ERROR_REASON_".length()));
        assertAip193(e, info);
        return info;
    }

    /**
     * AIP-193 beyond the ErrorInfo: metadata keys in lowerCamelCase; a field's problem is also a
     * google.rpc.BadRequest field violation naming the same field; a lookup that found nothing
     * names what it looked for in the metadata.
     */
    private static void assertAip193(StatusRuntimeException e, ErrorInfo info) {
        assertThat(info.getMetadataMap().keySet())
                .as("metadata keys of %s", info.getReason())
                .allMatch(k -> k.matches("[a-z][a-zA-Z0-9]*"), "lowerCamelCase");
        String field = info.getMetadataMap().get("field");
        if (field != null) {
            assertThat(StatusProto.fromThrowable(e).getDetailsList().stream()
                            .filter(a -> a.is(com.google.rpc.BadRequest.class))
                            .flatMap(a -> {
                                try {
                                    return a.unpack(com.google.rpc.BadRequest.class).getFieldViolationsList().stream();
                                } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                                    throw new AssertionError(x);
                                }
                            })
                            .map(com.google.rpc.BadRequest.FieldViolation::getField))
                    .as("BadRequest field violations of %s", info.getReason())
                    .containsExactly(field);
        }
        if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
            assertThat(info.getMetadataMap())
                    .as("what %s looked for", info.getReason())
                    .isNotEmpty();
        }
    }

    static ErrorInfo errorInfo(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        assertThat(status)
                .as("google.rpc.Status in the trailers of %s", e.getStatus())
                .isNotNull();
        return status.getDetailsList().stream()
                .filter(a -> a.is(ErrorInfo.class))
                .map(a -> {
                    try {
                        return a.unpack(ErrorInfo.class);
                    } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                        throw new AssertionError(x);
                    }
                })
                .findFirst()
                .orElseThrow(() -> new AssertionError("no ErrorInfo in " + e.getStatus()));
    }
}
