package dev.spinup.api;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.protobuf.StatusProto;
import java.util.Optional;

/** The google.rpc.ErrorInfo a SpinUp error carries (its reason from the closed ErrorReason enum). */
public final class ErrorInfos {
    private ErrorInfos() {}

    /** The failed call's ErrorInfo, if its status carries one. */
    public static Optional<ErrorInfo> of(Throwable failure) {
        com.google.rpc.Status status = StatusProto.fromThrowable(failure);
        if (status == null) {
            return Optional.empty();
        }
        return status.getDetailsList().stream()
                .filter(a -> a.is(ErrorInfo.class))
                .findFirst()
                .flatMap(ErrorInfos::unpack);
    }

    /** Its reason ("HOST_LOST"), or "" when it carries none. */
    public static String reason(Throwable failure) {
        return of(failure).map(ErrorInfo::getReason).orElse("");
    }

    private static Optional<ErrorInfo> unpack(Any detail) {
        try {
            return Optional.of(detail.unpack(ErrorInfo.class));
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }
}
