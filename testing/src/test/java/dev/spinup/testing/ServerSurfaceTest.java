package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What grpcurl and Prometheus see: reflection, health, and /metrics. */
class ServerSurfaceTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        cluster.startAgent(new Envelope(4, 8, 50));
    }

    @Test
    void reflectionListsTheServices() throws Exception {
        ServerReflectionResponse response = ask(
                ServerReflectionGrpc.newStub(cluster.channel())::serverReflectionInfo,
                ServerReflectionRequest.newBuilder().setListServices("").build());

        assertThat(response.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName))
                .contains(
                        "spinup.v1.WorkspaceService",
                        "spinup.v1.AgentService",
                        "grpc.health.v1.Health",
                        "grpc.reflection.v1.ServerReflection",
                        "grpc.reflection.v1alpha.ServerReflection");
    }

    /**
     * Older grpcurl, Postman, evans and grpc-js tools speak only v1alpha: they list the services
     * and then ask for the file that declares one, to know its methods and messages.
     */
    @Test
    void reflectionAnswersV1alphaClients() throws Exception {
        var stub = io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(cluster.channel());
        io.grpc.reflection.v1alpha.ServerReflectionResponse listed = ask(
                stub::serverReflectionInfo,
                io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
                        .setListServices("")
                        .build());
        assertThat(listed.getListServicesResponse().getServiceList().stream()
                        .map(io.grpc.reflection.v1alpha.ServiceResponse::getName))
                .contains("spinup.v1.WorkspaceService");

        io.grpc.reflection.v1alpha.ServerReflectionResponse file = ask(
                stub::serverReflectionInfo,
                io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
                        .setFileContainingSymbol("spinup.v1.WorkspaceService")
                        .build());
        List<String> methods = new java.util.ArrayList<>();
        for (com.google.protobuf.ByteString bytes :
                file.getFileDescriptorResponse().getFileDescriptorProtoList()) {
            for (var service : com.google.protobuf.DescriptorProtos.FileDescriptorProto.parseFrom(bytes)
                    .getServiceList()) {
                if (service.getName().equals("WorkspaceService")) {
                    service.getMethodList().forEach(m -> methods.add(m.getName()));
                }
            }
        }
        assertThat(methods).contains("CreateWorkspace", "GetOperation", "CreateAccessGrant");
    }

    /** One request on a reflection stream, and its one answer. */
    private static <Q, A> A ask(java.util.function.Function<StreamObserver<A>, StreamObserver<Q>> open, Q request)
            throws Exception {
        CompletableFuture<A> answer = new CompletableFuture<>();
        StreamObserver<Q> requests = open.apply(new StreamObserver<>() {
            @Override
            public void onNext(A response) {
                answer.complete(response);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        });
        requests.onNext(request);
        requests.onCompleted();
        return answer.get(10, TimeUnit.SECONDS);
    }

    @Test
    void healthIsServing() {
        var health = HealthGrpc.newBlockingStub(cluster.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
        assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(health.check(HealthCheckRequest.newBuilder()
                                .setService("spinup.v1.WorkspaceService")
                                .build())
                        .getStatus())
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void metricsCountOperationsAndSessions() {
        Operation op = cluster.product()
                .createWorkspace(Workspaces.hobby("metered").build())
                .getOperation();
        assertThat(Workspaces.awaitDone(cluster.product(), op.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);

        assertThat(value("spinup_operations_started_total\\{verb=\"create\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value("spinup_operations_finished_total\\{status=\"succeeded\",verb=\"create\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(value("spinup_operation_pickup_seconds_count\\{verb=\"create\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(value("spinup_agent_sessions")).isEqualTo(1);
        assertThat(value("spinup_agent_events_total\\{kind=\"result\"}")).isGreaterThanOrEqualTo(3);
    }

    private static double value(String series) {
        var v = Workspaces.metric(cluster.metricsPort(), series);
        assertThat(v).as("series %s on /metrics", series).isPresent();
        return v.getAsDouble();
    }
}
