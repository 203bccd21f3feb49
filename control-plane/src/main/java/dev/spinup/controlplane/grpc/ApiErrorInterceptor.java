package dev.spinup.controlplane.grpc;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error leaves the server as a status with an ErrorInfo: {@link SpinUpException}s as they are,
 * anything unexpected as INTERNAL / INTERNAL_ERROR with an incident id that is also logged, so no
 * caller ever sees UNKNOWN or a stack trace. Counts errors by reason.
 */
public final class ApiErrorInterceptor implements ServerInterceptor {
    private static final Logger log = LoggerFactory.getLogger(ApiErrorInterceptor.class);

    private final MeterRegistry meters;

    public ApiErrorInterceptor(MeterRegistry meters) {
        this.meters = meters;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> delegate;
        AtomicBoolean closed = new AtomicBoolean();
        try {
            delegate = next.startCall(call, headers);
        } catch (RuntimeException e) {
            close(call, e, closed);
            return new ServerCall.Listener<>() {};
        }
        // Once this closed the call, nothing more reaches the handler (it would fail again, e.g.
        // "half-closed without a request" after a malformed one).
        return new SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onMessage(Q message) {
                if (closed.get()) {
                    return;
                }
                try {
                    super.onMessage(message);
                } catch (RuntimeException e) {
                    close(call, e, closed);
                }
            }

            @Override
            public void onHalfClose() {
                if (closed.get()) {
                    return;
                }
                try {
                    super.onHalfClose();
                } catch (RuntimeException e) {
                    close(call, e, closed);
                }
            }

            @Override
            public void onReady() {
                if (!closed.get()) {
                    super.onReady();
                }
            }
        };
    }

    private void close(ServerCall<?, ?> call, RuntimeException e, AtomicBoolean closed) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        String method = call.getMethodDescriptor().getBareMethodName();
        StatusRuntimeException status = toStatus(method, e);
        meters.counter("spinup_api_errors", "method", method, "reason", reasonOf(e))
                .increment();
        try {
            call.close(status.getStatus(), status.getTrailers() == null ? new Metadata() : status.getTrailers());
        } catch (IllegalStateException alreadyClosed) {
            // the handler closed it first (e.g. it failed after answering)
        }
    }

    private static String reasonOf(RuntimeException e) {
        return e instanceof SpinUpException api ? api.reason().name() : ErrorReason.INTERNAL_ERROR.name();
    }

    static StatusRuntimeException toStatus(String method, RuntimeException e) {
        if (e instanceof SpinUpException api) {
            return GrpcErrors.toStatus(api);
        }
        if (Throwables.isDatabaseUnavailable(e)) {
            log.atWarn()
                    .setMessage("dependency_unavailable")
                    .addKeyValue("method", method)
                    .addKeyValue("error", e.toString())
                    .log();
            return GrpcErrors.toStatus(new SpinUpException(
                    SpinUpException.Kind.UNAVAILABLE,
                    ErrorReason.DEPENDENCY_UNAVAILABLE,
                    "the database is unavailable; retry with the same request_id",
                    Map.of()));
        }
        String incident = UUID.randomUUID().toString();
        log.atError()
                .setMessage("internal_error")
                .addKeyValue("method", method)
                .addKeyValue("incident", incident)
                .setCause(e)
                .log();
        return GrpcErrors.toStatus(new SpinUpException(
                SpinUpException.Kind.INTERNAL,
                ErrorReason.INTERNAL_ERROR,
                "internal error; incident " + incident,
                Map.of("incident", incident)));
    }
}
