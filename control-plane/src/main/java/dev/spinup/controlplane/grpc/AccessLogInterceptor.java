package dev.spinup.controlplane.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per call, with its metadata. The only place request metadata is logged, and the
 * values of credential-bearing keys are always replaced by "[REDACTED]".
 */
public final class AccessLogInterceptor implements ServerInterceptor {
    private static final Logger log = LoggerFactory.getLogger("spinup.access");
    private static final Set<String> REDACTED = Set.of("authorization", "cookie", "x-api-key");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long start = System.nanoTime();
        String metadata = redact(headers);
        Object peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        ServerCall<Q, R> logged = new SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                log.atInfo()
                        .setMessage("rpc")
                        .addKeyValue("method", call.getMethodDescriptor().getFullMethodName())
                        .addKeyValue("status", status.getCode())
                        .addKeyValue("duration_ms", (System.nanoTime() - start) / 1_000_000)
                        .addKeyValue("peer", peer)
                        .addKeyValue("metadata", metadata)
                        .log();
                super.close(status, trailers);
            }
        };
        return next.startCall(logged, headers);
    }

    public static String redact(Metadata headers) {
        TreeMap<String, String> out = new TreeMap<>();
        for (String key : headers.keys()) {
            if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                out.put(key, "[binary]");
            } else if (REDACTED.contains(key.toLowerCase(Locale.ROOT))) {
                out.put(key, "[REDACTED]");
            } else {
                out.put(key, headers.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER)));
            }
        }
        return out.toString();
    }
}
