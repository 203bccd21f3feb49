package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.ErrorInfo;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.GetWorkspaceResponse;
import dev.spinup.api.v1.ListHostsRequest;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceServiceGrpc;
import dev.spinup.controlplane.api.ApiStack;
import dev.spinup.controlplane.auth.ApiTokens;
import dev.spinup.controlplane.auth.AuthInterceptor;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.grpc.AccessLogInterceptor;
import dev.spinup.controlplane.grpc.ApiErrorInterceptor;
import dev.spinup.controlplane.postgres.Database;
import io.grpc.CallOptions;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The WorkspaceService's interceptors and request parsing, exactly as {@link ApiStack#wrap}
 * stacks them, in process: a service whose handlers answer, fail with a SpinUpException or fail
 * with a bug, behind the real token check on a real database. No TLS and no engine, so each case
 * is a few milliseconds.
 */
class ApiStackInProcessTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    static Database db;
    static Server server;
    static ManagedChannel channel;
    static final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    static final AtomicInteger handled = new AtomicInteger();
    static String workspacesToken;

    /** Answers GetWorkspace by its id: "missing" is not found, "boom" is a bug, anything else exists. */
    static final class Service extends WorkspaceServiceGrpc.WorkspaceServiceImplBase {
        @Override
        public void getWorkspace(GetWorkspaceRequest request, StreamObserver<GetWorkspaceResponse> response) {
            handled.incrementAndGet();
            switch (request.getWorkspaceId()) {
                case "missing" ->
                    throw SpinUpException.notFound(
                            dev.spinup.controlplane.core.ErrorReason.WORKSPACE_NOT_FOUND,
                            "workspaceId",
                            "missing",
                            "no workspace missing");
                case "boom" -> throw new IllegalStateException("a bug");
                default -> {
                    response.onNext(GetWorkspaceResponse.newBuilder()
                            .setWorkspace(Workspace.newBuilder().setId(request.getWorkspaceId()))
                            .build());
                    response.onCompleted();
                }
            }
        }
    }

    @BeforeAll
    static void start() throws IOException {
        db = new Database(pg.config());
        db.migrate();
        Clock clock = Clock.systemUTC();
        ApiTokens tokens = new ApiTokens(clock);
        workspacesToken = db.inTransaction(tx ->
                tokens.create(tx, Ids.newId(clock), "in-process", Set.of(Principal.SCOPE_WORKSPACES), clock.instant()));
        String name = "api-" + UUID.randomUUID();
        server = InProcessServerBuilder.forName(name)
                .directExecutor()
                .addService(ApiStack.wrap(
                        new Service().bindService(),
                        new ApiErrorInterceptor(meters),
                        new AuthInterceptor(db, tokens),
                        new AccessLogInterceptor(),
                        io.opentelemetry.api.OpenTelemetry.noop()))
                .build()
                .start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        server.shutdownNow();
        db.close();
    }

    static WorkspaceServiceGrpc.WorkspaceServiceBlockingStub client(String token) {
        Metadata headers = new Metadata();
        headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
        return WorkspaceServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    static GetWorkspaceRequest get(String id) {
        return GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build();
    }

    @Test
    void aCallerWithAValidTokenReachesTheHandler() {
        assertThat(client(workspacesToken)
                        .getWorkspace(get("ws-1"))
                        .getWorkspace()
                        .getId())
                .isEqualTo("ws-1");
    }

    @Test
    void noTokenAnUnknownTokenAndAMissingScopeAreRefusedBeforeTheHandler() {
        int before = handled.get();
        assertError(
                () -> WorkspaceServiceGrpc.newBlockingStub(channel)
                        .getWorkspace(get("ws-1"))
                        .getWorkspace(),
                Status.Code.UNAUTHENTICATED,
                ErrorReason.ERROR_REASON_TOKEN_MISSING);
        assertError(
                () -> client("spn_not_a_token").getWorkspace(get("ws-1")).getWorkspace(),
                Status.Code.UNAUTHENTICATED,
                ErrorReason.ERROR_REASON_TOKEN_INVALID);
        ErrorInfo scope = assertError(
                () -> client(workspacesToken).listHosts(ListHostsRequest.getDefaultInstance()),
                Status.Code.PERMISSION_DENIED,
                ErrorReason.ERROR_REASON_SCOPE_REQUIRED);
        assertThat(scope.getMetadataMap()).containsEntry("scope", Principal.SCOPE_ADMIN);
        assertThat(handled.get()).isEqualTo(before);
    }

    @Test
    void aDomainErrorLeavesAsItsStatusAndReason() {
        assertError(
                () -> client(workspacesToken).getWorkspace(get("missing")).getWorkspace(),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_WORKSPACE_NOT_FOUND);
        assertThat(meters.counter("spinup_api_errors", "method", "GetWorkspace", "reason", "WORKSPACE_NOT_FOUND")
                        .count())
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void aBugIsInternalWithAnIncidentIdAndNoStackTrace() {
        ErrorInfo info = assertError(
                () -> client(workspacesToken).getWorkspace(get("boom")).getWorkspace(),
                Status.Code.INTERNAL,
                ErrorReason.ERROR_REASON_INTERNAL_ERROR);
        String incident = info.getMetadataOrThrow("incident");
        StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                StatusRuntimeException.class,
                () -> client(workspacesToken).getWorkspace(get("boom")).getWorkspace());
        assertThat(e.getStatus().getDescription())
                .startsWith("internal error; incident ")
                .doesNotContain("a bug")
                .doesNotContain("IllegalStateException");
        assertThat(UUID.fromString(incident)).isNotNull();
    }

    @Test
    void aBodyThatIsNotTheRpcsMessageIsMalformedAndNeverReachesTheHandler() {
        int before = handled.get();
        // field 1 (workspace_id, a string) with a length running past the end of the body
        ErrorInfo info = assertError(
                () -> raw(new byte[] {0x0a, 0x7f, 'x'}),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_MALFORMED_REQUEST);
        assertThat(info.getMetadataMap()).containsEntry("method", "GetWorkspace");
        assertThat(handled.get()).isEqualTo(before);
    }

    @Test
    void aBodyOverTheLimitIsRefusedBeforeItIsParsed() {
        byte[] big = GetWorkspaceRequest.newBuilder()
                .setWorkspaceId("x".repeat(ApiStack.MAX_REQUEST_BYTES))
                .build()
                .toByteArray();
        StatusRuntimeException e =
                org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class, () -> raw(big));
        assertThat(ApiAssertions.errorInfo(e).getReason()).isEqualTo("MALFORMED_REQUEST");
        assertThat(e.getStatus().getDescription()).contains("at most " + ApiStack.MAX_REQUEST_BYTES);
    }

    /** A body whose length is known, as every body from a network transport is; in process it is handed over as is. */
    private static final class Body extends ByteArrayInputStream implements KnownLength {
        Body(byte[] bytes) {
            super(bytes);
        }
    }

    /** GetWorkspace with {@code body} as its raw request bytes, with a valid token. */
    private static GetWorkspaceResponse raw(byte[] body) {
        MethodDescriptor<byte[], GetWorkspaceResponse> method = WorkspaceServiceGrpc.getGetWorkspaceMethod().toBuilder(
                        new MethodDescriptor.Marshaller<byte[]>() {
                            @Override
                            public InputStream stream(byte[] value) {
                                return new Body(value);
                            }

                            @Override
                            public byte[] parse(InputStream stream) {
                                throw new UnsupportedOperationException();
                            }
                        },
                        WorkspaceServiceGrpc.getGetWorkspaceMethod().getResponseMarshaller())
                .build();
        Metadata headers = new Metadata();
        headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + workspacesToken);
        return ClientCalls.blockingUnaryCall(
                io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
                method,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                body);
    }
}
