package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.CreateApiTokenRequest;
import dev.spinup.api.v1.ListWorkspacesRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dev mode killed with -9 (its embedded PostgreSQL, in a session of its own, survives it) comes
 * back on the first try: the next start finds the leftover server on its data directory, stops
 * it, and starts its own on the same data, with what was acknowledged before the kill still there
 * (the embedded server runs with synchronous_commit on).
 */
class DevRestartTest {
    @TempDir
    Path dir;

    @Test
    void aKilledDevRunsNextStartStopsTheLeftoverPostgresAndKeepsTheData() throws Exception {
        Path data = dir.resolve("data");
        int grpcPort = Ports.free();
        Process first = startDev(data, grpcPort, dir.resolve("first.log"));
        String survivor;
        try {
            awaitServing(first, data, grpcPort, dir.resolve("first.log"));
            try (Client admin = new Client(data, grpcPort)) {
                survivor = admin.stub()
                        .createApiToken(CreateApiTokenRequest.newBuilder()
                                .setName("survivor")
                                .addScopes("workspaces")
                                .build())
                        .getSecret();
            }
        } finally {
            first.destroyForcibly().waitFor();
        }
        Optional<ProcessHandle> leftover = postgres(data);
        assertThat(leftover)
                .as("the embedded PostgreSQL outlives a kill -9 of dev mode")
                .isPresent();

        Path secondLog = dir.resolve("second.log");
        Process second = startDev(data, grpcPort, secondLog);
        try {
            awaitServing(second, data, grpcPort, secondLog);
            assertThat(Files.readString(secondLog))
                    .contains("stopping the embedded PostgreSQL (pid "
                            + leftover.get().pid());
            assertThat(leftover.get().isAlive()).isFalse();
            try (Client product = new Client(data, grpcPort, survivor)) {
                assertThat(product.stub()
                                .listWorkspaces(ListWorkspacesRequest.getDefaultInstance())
                                .getWorkspacesList())
                        .as("the token acknowledged before the kill still authenticates")
                        .isEmpty();
            }
        } finally {
            second.destroy();
            second.waitFor();
            postgres(data).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void aPortInUseIsOneLineNamingThePortAndTheSettingThatChangesIt() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path log = dir.resolve("taken.log");
            Process dev = startDev(dir.resolve("taken"), taken.getLocalPort(), log);
            assertThat(dev.waitFor(2, java.util.concurrent.TimeUnit.MINUTES))
                    .as("dev mode gives up")
                    .isTrue();
            assertThat(dev.exitValue()).isEqualTo(2);
            List<String> errors = Files.readAllLines(log).stream()
                    .filter(l -> !l.contains(" INFO ") && !l.startsWith("WARNING:") && !l.isBlank())
                    .toList();
            assertThat(errors).as("one line: %s", errors).hasSize(1);
            assertThat(errors.getFirst())
                    .contains("cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .contains("Address already in use")
                    .contains("--grpc-port or SPINUP_GRPC_PORT");
            assertThat(postgres(dir.resolve("taken")))
                    .as("the embedded PostgreSQL it started is stopped")
                    .isEmpty();
        }
    }

    /** --local-hosts-max: a region that grows with real agents started here, for its headroom. */
    @Test
    void anElasticLocalRegionGrowsAHostOfItsOwnForItsHeadroom() throws Exception {
        Path data = dir.resolve("elastic");
        int grpcPort = Ports.free();
        Path log = dir.resolve("elastic.log");
        Process devMode =
                startDev(data, grpcPort, log, "--local-hosts-max", "1", "--agent-build", "../host-agent/target");
        try {
            awaitServing(devMode, data, grpcPort, log);
            try (Client admin = new Client(data, grpcPort)) {
                Eventually.await(Duration.ofMinutes(2), "a healthy host in local-elastic", () -> {
                    assertThat(devMode.isAlive())
                            .as("dev mode runs: %s", read(log))
                            .isTrue();
                    return admin.stub()
                                    .getRegion(dev.spinup.api.v1.GetRegionRequest.newBuilder()
                                            .setRegion("local-elastic")
                                            .build())
                                    .getRegion()
                                    .getHostsPlaceable()
                            == 1;
                });
                var region = admin.stub()
                        .getRegion(dev.spinup.api.v1.GetRegionRequest.newBuilder()
                                .setRegion("local-elastic")
                                .build())
                        .getRegion();
                assertThat(region.getHeadroomFree())
                        .as("2 HOBBY fit on the new host")
                        .isEqualTo(2);
                assertThat(region.getCapacity().getMaxHosts()).isEqualTo(1);
            }
            assertThat(read(log)).contains("event=scale_up_requested region=local-elastic hosts=0->1");
        } finally {
            devMode.destroy();
            devMode.waitFor();
            try (var hosts = Files.list(data.resolve("local-hosts"))) {
                hosts.forEach(h -> ChildProcesses.pidIn(h.resolve("agent.pid"))
                        .flatMap(ProcessHandle::of)
                        .ifPresent(ProcessHandle::destroyForcibly));
            }
            postgres(data).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private Process startDev(Path data, int grpcPort, Path log, String... more) throws IOException {
        Path module = Path.of("..", "dev", "target").toAbsolutePath().normalize();
        Path jar = ChildProcesses.moduleJar(module, "spinup-dev");
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-cp",
                jar + ":" + module.resolve("lib") + "/*",
                "dev.spinup.dev.Main",
                "--data-dir",
                data.toString(),
                "--grpc-port",
                Integer.toString(grpcPort),
                "--metrics-port",
                Integer.toString(Ports.free())));
        command.addAll(List.of(more));
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("DATABASE_URL");
        pb.environment().remove("SPINUP_S3_ENDPOINT");
        return pb.start();
    }

    /** Up means: it wrote the CLI settings and answers an authenticated call. */
    private static void awaitServing(Process dev, Path data, int grpcPort, Path log) {
        Eventually.await(Duration.ofMinutes(2), "dev mode to serve on " + grpcPort, () -> {
            if (!dev.isAlive()) {
                throw new AssertionError("dev mode exited " + dev.exitValue() + ": " + read(log));
            }
            if (!Files.exists(data.resolve("cli.conf"))) {
                return false;
            }
            try (Client admin = new Client(data, grpcPort)) {
                admin.stub().listWorkspaces(ListWorkspacesRequest.getDefaultInstance());
                return true;
            } catch (io.grpc.StatusRuntimeException e) {
                return false;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** The server postmaster.pid names, if it is running. */
    private static Optional<ProcessHandle> postgres(Path data) throws IOException {
        Path pid = data.resolve("postgres/postmaster.pid");
        if (!Files.exists(pid)) {
            return Optional.empty();
        }
        return ProcessHandle.of(
                        Long.parseLong(Files.readAllLines(pid).getFirst().strip()))
                .filter(ProcessHandle::isAlive);
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** A TLS channel to dev mode, trusting its CA, with its admin token or another. */
    private static final class Client implements AutoCloseable {
        private final ManagedChannel channel;
        private final String token;

        Client(Path data, int port) throws IOException {
            this(data, port, Files.readString(data.resolve("admin-token")).strip());
        }

        Client(Path data, int port, String token) throws IOException {
            this.channel = NettyChannelBuilder.forAddress("localhost", port)
                    .sslContext(GrpcSslContexts.forClient()
                            .trustManager(data.resolve("pki/ca.crt").toFile())
                            .build())
                    .build();
            this.token = token;
        }

        dev.spinup.api.v1.WorkspaceServiceGrpc.WorkspaceServiceBlockingStub stub() {
            return SpinUpCluster.client(channel, token);
        }

        @Override
        public void close() {
            channel.shutdownNow();
        }
    }
}
