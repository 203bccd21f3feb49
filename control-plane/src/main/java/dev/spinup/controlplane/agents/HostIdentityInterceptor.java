package dev.spinup.controlplane.agents;

import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.grpc.GrpcErrors;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Agent RPCs (all but Enroll) need a host certificate; its host id goes into the call's Context. */
public final class HostIdentityInterceptor implements ServerInterceptor {
    private static final Logger log = LoggerFactory.getLogger(HostIdentityInterceptor.class);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor()
                .getFullMethodName()
                .equals(AgentServiceGrpc.getEnrollMethod().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        Optional<UUID> host = HostIdentity.fromSession(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        if (host.isEmpty()) {
            log.atWarn()
                    .setMessage("agent_refused")
                    .addKeyValue("reason", "no_host_certificate")
                    .addKeyValue("remote", call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR))
                    .log();
            StatusRuntimeException e = GrpcErrors.toStatus(SpinUpException.unauthenticated(
                    ErrorReason.CLIENT_CERTIFICATE_REQUIRED,
                    "agent RPCs need a host client certificate issued by this control plane's CA"));
            call.close(e.getStatus(), e.getTrailers());
            return new ServerCall.Listener<>() {};
        }
        Context context = Context.current().withValue(HostIdentity.HOST_ID, host.get());
        return Contexts.interceptCall(context, call, headers, next);
    }
}
