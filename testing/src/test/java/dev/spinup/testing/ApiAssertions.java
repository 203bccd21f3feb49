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
                .isEqualTo(reason.name());
        return info;
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
