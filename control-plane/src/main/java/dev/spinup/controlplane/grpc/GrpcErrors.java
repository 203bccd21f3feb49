package dev.spinup.controlplane.grpc;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.spinup.controlplane.core.SpinUpException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * The one place a {@link SpinUpException} becomes a gRPC status: its kind is the status code, and
 * a google.rpc.ErrorInfo (domain {@value #DOMAIN}) carries its reason by name and its metadata,
 * and a problem with one field (metadata "field") is also a google.rpc.BadRequest field violation.
 */
public final class GrpcErrors {
    public static final String DOMAIN = "spinup.dev";

    private GrpcErrors() {}

    public static StatusRuntimeException toStatus(SpinUpException e) {
        ErrorInfo info = ErrorInfo.newBuilder()
                .setDomain(DOMAIN)
                .setReason(e.reason().name())
                .putAllMetadata(e.metadata())
                .build();
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
                .setCode(code(e.kind()).value())
                .setMessage(e.getMessage())
                .addDetails(Any.pack(info));
        String field = e.metadata().get("field");
        if (field != null) {
            // AIP-193: a field's problem is also a BadRequest field violation
            status.addDetails(Any.pack(BadRequest.newBuilder()
                    .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                            .setField(field)
                            .setDescription(e.getMessage())
                            .setReason(e.reason().name()))
                    .build()));
        }
        return StatusProto.toStatusRuntimeException(status.build());
    }

    public static Status.Code code(SpinUpException.Kind kind) {
        return Status.Code.valueOf(kind.name());
    }
}
