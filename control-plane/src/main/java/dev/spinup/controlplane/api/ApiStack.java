package dev.spinup.controlplane.api;

import dev.spinup.controlplane.auth.AuthInterceptor;
import dev.spinup.controlplane.grpc.AccessLogInterceptor;
import dev.spinup.controlplane.grpc.ApiErrorInterceptor;
import dev.spinup.controlplane.grpc.MalformedRequests;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;

/**
 * The WorkspaceService as callers reach it. From the outside in: the call's trace span
 * (OpenTelemetry's gRPC instrumentation: named {@code spinup.v1.WorkspaceService/<Method>}, with
 * the {@code rpc.*} attributes; a client error such as NOT_FOUND is not a span error), the access log, then the
 * bearer token and its scope, then the error mapping (every failure a status with an ErrorInfo),
 * then the request parsed and size-checked inside the call, then the service.
 */
public final class ApiStack {
    /** The largest WorkspaceService request accepted, in bytes. */
    public static final int MAX_REQUEST_BYTES = 1 << 20;

    private ApiStack() {}

    public static ServerServiceDefinition wrap(
            ServerServiceDefinition workspaces,
            ApiErrorInterceptor errors,
            AuthInterceptor auth,
            AccessLogInterceptor accessLog,
            io.opentelemetry.api.OpenTelemetry otel) {
        return ServerInterceptors.intercept(
                MalformedRequests.guard(workspaces, MAX_REQUEST_BYTES),
                errors,
                auth,
                accessLog,
                io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry.create(otel)
                        .createServerInterceptor());
    }
}
