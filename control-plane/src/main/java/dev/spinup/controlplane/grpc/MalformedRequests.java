package dev.spinup.controlplane.grpc;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * Parses a service's requests inside the call rather than in the transport, so a body that is
 * not a message of the RPC's type (random bytes, a truncated message, a wrong wire type, invalid
 * UTF-8 in a string field) is answered INVALID_ARGUMENT / MALFORMED_REQUEST with an ErrorInfo —
 * gRPC itself would answer UNKNOWN "Application error processing RPC" and log a stack trace. A
 * body over {@code maxBytes} is refused before it is parsed.
 *
 * <p>Install it innermost (the first interceptor): {@link ApiErrorInterceptor} around it turns
 * the refusal into the call's status.
 */
public final class MalformedRequests {
    private MalformedRequests() {}

    /** Request decompressors: gzip opened lazily (see {@link LazyGzip}), and identity. */
    public static io.grpc.DecompressorRegistry decompressors() {
        return LazyGzip.registry();
    }

    public static ServerServiceDefinition guard(ServerServiceDefinition service, int maxBytes) {
        Map<String, MethodDescriptor<?, ?>> typed = new HashMap<>();
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            typed.put(m.getMethodDescriptor().getFullMethodName(), m.getMethodDescriptor());
        }
        // Requests travel as bytes down to here; the reflection service keeps the schema.
        return ServerInterceptors.intercept(
                ServerInterceptors.useInputStreamMessages(service), new ParseHere(typed, maxBytes));
    }

    private record ParseHere(Map<String, MethodDescriptor<?, ?>> typed, int maxBytes) implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            MethodDescriptor<?, ?> method = typed.get(call.getMethodDescriptor().getFullMethodName());
            return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                @Override
                @SuppressWarnings("unchecked")
                public void onMessage(Q message) {
                    super.onMessage((Q) reparse(method, (InputStream) message));
                }
            };
        }

        /** The message parsed, handed on as a stream the next parse returns without reading again. */
        private <T> InputStream reparse(MethodDescriptor<T, ?> method, InputStream body) {
            int size = size(body);
            if (size > maxBytes) {
                throw malformed(method, "the request is " + size + " bytes; at most " + maxBytes + " are accepted");
            }
            T parsed;
            try {
                parsed = method.parseRequest(body);
            } catch (RuntimeException e) {
                throw malformed(
                        method,
                        "the request body is not a valid " + method.getBareMethodName() + " request: " + why(e));
            }
            return method.streamRequest(parsed);
        }

        private static int size(InputStream body) {
            try {
                return body instanceof KnownLength ? body.available() : -1;
            } catch (IOException e) {
                return -1;
            }
        }

        private static String why(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof com.google.protobuf.InvalidProtocolBufferException || t instanceof IOException) {
                    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
                }
            }
            return Status.fromThrowable(e).getDescription() == null
                    ? e.getClass().getSimpleName()
                    : Status.fromThrowable(e).getDescription();
        }

        private static SpinUpException malformed(MethodDescriptor<?, ?> method, String message) {
            return new SpinUpException(
                    SpinUpException.Kind.INVALID_ARGUMENT,
                    ErrorReason.MALFORMED_REQUEST,
                    message,
                    Map.of("method", method.getBareMethodName()));
        }
    }
}
