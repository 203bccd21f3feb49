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
        CompletableFuture<List<String>> services = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(cluster.channel())
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse response) {
                        services.complete(response.getListServicesResponse().getServiceList().stream()
                                .map(ServiceResponse::getName)
                                .toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                        services.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();

        assertThat(services.get(10, TimeUnit.SECONDS))
                .contains(
                        "spinup.v1.WorkspaceService",
                        "spinup.v1.AgentService",
                        "grpc.health.v1.Health",
                        "grpc.reflection.v1.ServerReflection");
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
        Operation op =
                cluster.product().createWorkspace(Workspaces.hobby("metered").build());
        assertThat(Workspaces.awaitDone(cluster.product(), op.getId()).getStatus())
                .isEqualTo(OperationStatus.SUCCEEDED);

        assertThat(value("spinup_operations_started_total\\{verb=\"create\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value("spinup_operations_finished_total\\{status=\"succeeded\",verb=\"create\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(value("spinup_operation_pickup_seconds_count\\{verb=\"create\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(value("spinup_agent_sessions")).isEqualTo(1);
        assertThat(value("spinup_agent_events_total\\{kind=\"RESULT\"}")).isGreaterThanOrEqualTo(3);
    }

    private static double value(String series) {
        var v = Workspaces.metric(cluster.metricsPort(), series);
        assertThat(v).as("series %s on /metrics", series).isPresent();
        return v.getAsDouble();
    }
}
