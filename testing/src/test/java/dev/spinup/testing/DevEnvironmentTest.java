package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.HostAgent;
import dev.spinup.agent.HostAgentConfig;
import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.ControlPlaneConfig;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.dev.DevEnvironment;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What `./spinup dev` does, in process: a data directory with embedded Postgres and S3, a CA, the
 * local host's agent credentials and an admin token, then a workspace created with that token
 * through an agent that uses those credentials. A second start reuses all of it.
 */
class DevEnvironmentTest {
    @TempDir
    Path data;

    @Test
    void devModeStartsFromAnEmptyDirectoryAndKeepsItsStateAcrossRestarts() throws Exception {
        Clock clock = Clock.systemUTC();
        String token;
        UUID hostId;
        String caPem;
        try (DevEnvironment env = DevEnvironment.prepare(data, null, null, clock);
                ControlPlane cp = start(env, clock)) {
            hostId = env.registerLocalHost(cp, clock, null);
            token = env.adminToken(cp, clock);
            caPem = Files.readString(data.resolve("pki/ca.crt"));
            assertThat(Files.getPosixFilePermissions(data.resolve("admin-token")))
                    .isEqualTo(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
            assertThat(Workspaces.get(env.objectStorage().endpoint() + "/").statusCode())
                    .as("the S3 endpoint answers")
                    .isLessThan(500);

            try (HostAgent agent = HostAgent.start(
                    new HostAgentConfig(
                            List.of("localhost:" + cp.grpcPort()),
                            data.resolve("agent/host.crt"),
                            data.resolve("agent/host.key"),
                            data.resolve("agent/ca.crt"),
                            data.resolve("agent"),
                            null,
                            "127.0.0.1",
                            22000,
                            22999,
                            4,
                            8,
                            50,
                            Duration.ofSeconds(10),
                            Duration.ofSeconds(30)),
                    clock)) {
                Eventually.await(Duration.ofSeconds(30), "the local agent to connect", agent::isConnected);
                ManagedChannel channel = channel(cp.grpcPort());
                try {
                    var client = SpinUpCluster.client(channel, token);
                    Operation op = client.createWorkspace(CreateWorkspaceRequest.newBuilder()
                                    .setRequestId("try-1")
                                    .setExternalWorkspaceId("ws-1")
                                    .setExternalUserId("u-1")
                                    .setDisplayName("My first workspace")
                                    .setRegion(DevEnvironment.REGION)
                                    .setFlavor(Flavor.FLAVOR_HOBBY)
                                    .build())
                            .getOperation();
                    Operation done = Eventually.await(
                            Duration.ofSeconds(60),
                            "the create to finish",
                            () -> client.getOperation(GetOperationRequest.newBuilder()
                                            .setOperationId(op.getId())
                                            .build())
                                    .getOperation(),
                            o -> o.getStatus() == OperationStatus.OPERATION_STATUS_SUCCEEDED
                                    || o.getStatus() == OperationStatus.OPERATION_STATUS_ROLLED_BACK);
                    assertThat(done.getStatus()).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
                } finally {
                    channel.shutdownNow();
                }
                for (var w : agent.driver().inventory()) {
                    agent.driver().stop(w.workspaceId(), 0);
                }
            }
        }

        try (DevEnvironment env = DevEnvironment.prepare(data, null, null, clock);
                ControlPlane cp = start(env, clock)) {
            assertThat(env.registerLocalHost(cp, clock, new Envelope(3, 5, 70))).isEqualTo(hostId);
            assertThat(cp.database()
                            .read(tx -> tx.fleet().findHost(hostId))
                            .orElseThrow()
                            .total())
                    .as("--host-capacity replaces the measured capacity")
                    .isEqualTo(new Envelope(3, 5, 70));
            assertThat(env.adminToken(cp, clock)).isEqualTo(token);
            assertThat(Files.readString(data.resolve("pki/ca.crt"))).isEqualTo(caPem);
        }
    }

    private static ControlPlane start(DevEnvironment env, Clock clock) {
        return ControlPlane.start(
                ControlPlaneConfig.defaults(env.database(), env.objectStorage(), env.tls())
                        .withPorts("127.0.0.1", 0, 0),
                clock,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    private ManagedChannel channel(int port) throws Exception {
        return NettyChannelBuilder.forAddress("localhost", port)
                .sslContext(GrpcSslContexts.forClient()
                        .trustManager(data.resolve("pki/ca.crt").toFile())
                        .build())
                .build();
    }
}
