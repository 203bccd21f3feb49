package dev.spinup.controlplane.auth;

import dev.spinup.api.v1.WorkspaceServiceGrpc;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.grpc.GrpcErrors;
import dev.spinup.controlplane.store.Transactions;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * WorkspaceService calls need "authorization: Bearer <token>"; fleet/admin RPCs need the admin
 * scope, everything else the workspaces (or admin) scope.
 */
public final class AuthInterceptor implements ServerInterceptor {
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    /** The fleet/admin RPCs. */
    public static final Set<String> ADMIN_METHODS = Set.of(
            WorkspaceServiceGrpc.getListRegionsMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getGetRegionMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getSetRegionCapacityMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getListHostsMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getGetHostMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getDrainHostMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getUndrainHostMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getDeclareHostLostMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getEvacuateHostMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getCreateEnrollmentTokenMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getListOrphansMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getCreateApiTokenMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getListApiTokensMethod().getBareMethodName(),
            WorkspaceServiceGrpc.getRevokeApiTokenMethod().getBareMethodName());

    private final Transactions db;
    private final ApiTokens tokens;

    public AuthInterceptor(Transactions db, ApiTokens tokens) {
        this.db = db;
        this.tokens = tokens;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        try {
            Principal principal = authenticate(headers);
            authorize(principal, call.getMethodDescriptor().getBareMethodName());
            return Contexts.interceptCall(Context.current().withValue(Principal.KEY, principal), call, headers, next);
        } catch (SpinUpException e) {
            StatusRuntimeException status = GrpcErrors.toStatus(e);
            call.close(status.getStatus(), status.getTrailers());
            return new ServerCall.Listener<>() {};
        }
    }

    private Principal authenticate(Metadata headers) {
        String value = headers.get(AUTHORIZATION);
        if (value == null || value.isBlank()) {
            throw SpinUpException.unauthenticated(
                    ErrorReason.TOKEN_MISSING, "missing \"authorization: Bearer <token>\" metadata");
        }
        if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw SpinUpException.unauthenticated(ErrorReason.TOKEN_INVALID, "authorization must be a Bearer token");
        }
        String token = value.substring(7).trim();
        Optional<Principal> principal = db.read(tx -> tokens.authenticate(tx, token));
        return principal.orElseThrow(() ->
                SpinUpException.unauthenticated(ErrorReason.TOKEN_INVALID, "the bearer token is unknown or revoked"));
    }

    private static void authorize(Principal principal, String method) {
        if (ADMIN_METHODS.contains(method)) {
            if (!principal.scopes().contains(Principal.SCOPE_ADMIN)) {
                throw SpinUpException.permissionDenied(
                        ErrorReason.SCOPE_REQUIRED,
                        method + " needs a token with the admin scope",
                        Map.of("scope", Principal.SCOPE_ADMIN));
            }
        } else if (!principal.scopes().contains(Principal.SCOPE_WORKSPACES)
                && !principal.scopes().contains(Principal.SCOPE_ADMIN)) {
            throw SpinUpException.permissionDenied(
                    ErrorReason.SCOPE_REQUIRED,
                    method + " needs a token with the workspaces scope",
                    Map.of("scope", Principal.SCOPE_WORKSPACES));
        }
    }
}
