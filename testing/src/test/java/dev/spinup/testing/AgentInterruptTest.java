package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.GetHostRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Sharing;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Ctrl-C in the terminal that runs a host agent (SIGINT to its whole process group) stops the
 * agent only: the workspaces and Caddy run in sessions of their own, keep running and serving
 * through the edge, and the next agent adopts them as they are (the same processes).
 */
class AgentInterruptTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.RegisteredHost host;
    static String edge;
    static String edgeAdmin;
    static Process agent;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.registerHost(new Envelope(2, 4, 40));
        edge = "127.0.0.1:" + Ports.free();
        edgeAdmin = "127.0.0.1:" + Ports.free();
    }

    @AfterAll
    static void stop() throws Exception {
        if (agent != null) {
            agent.destroy();
            agent.waitFor(30, TimeUnit.SECONDS);
        }
        AgentLauncher.stopCaddy(host.dataDir());
        try (var pids = Files.find(host.dataDir().resolve("workspaces"), 2, (p, a) -> p.endsWith("pid"))) {
            pids.forEach(p -> ChildProcesses.pidIn(p).flatMap(ProcessHandle::of).ifPresent(ChildProcesses::killTree));
        }
    }

    @Test
    void sigintToTheAgentsProcessGroupLeavesWorkspacesAndTheEdgeServing() throws Exception {
        agent = startAgent("first");
        String ws = Workspaces.createActive(cluster.product(), Workspaces.hobby("interrupted"));
        Workspaces.setAppSharing(cluster.product(), ws, Sharing.SHARING_PUBLIC);
        String url = "http://"
                + cluster.product()
                        .getWorkspace(GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(ws)
                                .build())
                        .getWorkspace()
                        .getHostname()
                + "/";
        Eventually.await(
                Duration.ofSeconds(30),
                "the app through the edge",
                () -> EdgeHttp.get(edge, url, null).statusCode() == 200);
        long app = ChildProcesses.pidIn(host.dataDir().resolve("workspaces/" + ws + "/pid"))
                .orElseThrow();
        long caddy =
                ChildProcesses.pidIn(host.dataDir().resolve("edge/caddy.pid")).orElseThrow();

        // What a terminal does on Ctrl-C: SIGINT to the foreground process group (the agent's own here).
        Process kill = new ProcessBuilder("kill", "-INT", "--", "-" + agent.pid())
                .inheritIO()
                .start();
        assertThat(kill.waitFor()).isZero();
        assertThat(agent.waitFor(60, TimeUnit.SECONDS))
                .as("the agent stops on SIGINT")
                .isTrue();

        assertThat(ProcessHandle.of(app).filter(ProcessHandle::isAlive))
                .as("the workspace keeps running")
                .isPresent();
        assertThat(EdgeHttp.get(edge, url, null).statusCode())
                .as("Caddy keeps serving the last routes with no agent")
                .isEqualTo(200);

        agent = startAgent("second");
        assertThat(ChildProcesses.pidIn(host.dataDir().resolve("edge/caddy.pid")))
                .as("the second agent adopts the Caddy the first left")
                .hasValue(caddy);
        assertThat(ProcessHandle.of(caddy).filter(ProcessHandle::isAlive)).isPresent();
        assertThat(ChildProcesses.pidIn(host.dataDir().resolve("workspaces/" + ws + "/pid")))
                .as("adopted, not restarted")
                .hasValue(app);
        assertThat(cluster.product()
                        .getWorkspace(GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(ws)
                                .build())
                        .getWorkspace()
                        .getState())
                .isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(EdgeHttp.get(edge, url, null).statusCode()).isEqualTo(200);
    }

    /** The real agent Main as a child JVM leading a session of its own, as a shell's foreground job would. */
    private static Process startAgent(String name) throws IOException {
        Path log = host.dataDir().resolve("agent-" + name + ".log");
        int from = 20_000 + (int) (ProcessHandle.current().pid() % 45) * 20;
        Process p = new ProcessBuilder(List.of(
                        "env",
                        "--default-signal=INT", // as from a terminal, whatever this JVM inherited
                        "setsid",
                        ProcessHandle.current().info().command().orElseThrow(),
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.spinup.agent.Main",
                        "--control-plane",
                        "localhost:" + cluster.controlPlane().grpcPort(),
                        "--cert",
                        host.dataDir().resolve("host.crt").toString(),
                        "--key",
                        host.dataDir().resolve("host.key").toString(),
                        "--ca",
                        cluster.caCertificate().toString(),
                        "--data-dir",
                        host.dataDir().toString(),
                        "--edge",
                        "caddy",
                        "--edge-listen",
                        edge,
                        "--edge-admin",
                        edgeAdmin,
                        "--port-range",
                        from + "-" + (from + 20),
                        "--heartbeat-seconds",
                        "1",
                        "--metrics-port",
                        "0"))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        Eventually.await(Duration.ofSeconds(60), "agent " + name + " to connect", () -> {
            assertThat(p.isAlive()).as("agent %s runs: %s", name, read(log)).isTrue();
            return cluster.admin()
                    .getHost(GetHostRequest.newBuilder()
                            .setHostId(host.id().toString())
                            .build())
                    .getHost()
                    .getConnected();
        });
        return p;
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }
}
