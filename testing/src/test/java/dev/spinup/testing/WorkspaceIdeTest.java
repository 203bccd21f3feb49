package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.api.v1.AccessGrant;
import dev.spinup.api.v1.AccessTarget;
import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.UndrainHostRequest;
import dev.spinup.api.v1.Workspace;
import dev.spinup.controlplane.core.Envelope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every workspace on a host with an IDE runs code-server beside its app: a created workspace's
 * IDE opens its project in Chromium through the edge with an access grant (and not without one),
 * and an IDE that dies comes back while the app keeps serving.
 */
class WorkspaceIdeTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;
    static SpinUpCluster.TestHost other;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.startAgentWithIde(new Envelope(8, 16, 100));
        other = cluster.startAgentWithIde(new Envelope(8, 16, 100));
    }

    @Test
    void aNewWorkspacesIdeOpensItsProject() throws Exception {
        Workspace ws = created("ide");
        String ide = ideEndpoint(ws);
        CodeServer.awaitReady(ide, Duration.ofMinutes(1));
        String token = UUID.randomUUID().toString().substring(0, 8);
        Path screenshot = Files.createDirectories(Path.of("target/screenshots").toAbsolutePath())
                .resolve("workspace-ide-process.png");

        assertThat(EdgeHttp.get(home(ws), "http://" + ws.getIdeHostname() + "/", null)
                        .statusCode())
                .as("the IDE's name, without a grant")
                .isEqualTo(401);

        // As a product opens it for its user: one grant, then the browser goes to its URL.
        AccessGrant grant = Workspaces.grant(cluster.product(), ws.getId(), AccessTarget.ACCESS_TARGET_IDE);
        assertThat(grant.getUrl()).startsWith("http://" + ws.getIdeHostname() + ":");
        Browser.IdeView view = Browser.openIde(
                grant.getUrl(), screenshot, "cat spinup-start.sh >/dev/null && echo ok-" + token, "ok-" + token);

        assertThat(view.explorer()).contains("index.html", "server.js", "spinup-start.sh");
        assertThat(recordedIdeEndpoint(ws.getId()))
                .as("where the control plane knows the IDE answers")
                .isEqualTo(ide);
        assertThat(view.terminal().lines().map(String::strip)).contains("ok-" + token);
        Eventually.await(
                Duration.ofSeconds(60),
                "the host to report the IDE used",
                () -> get(ws.getId()),
                Workspace::hasLastActiveAt);
    }

    @Test
    void anIdeThatDiesComesBackAndTheAppKeepsServing() throws Exception {
        Workspace ws = created("ide-crash");
        String ide = ideEndpoint(ws);
        CodeServer.awaitReady(ide, Duration.ofMinutes(1));
        List<ProcessHandle> before = codeServerProcesses(ide);
        // code-server is a wrapper and the server it forks: kill the wrapper alone, the way a crash
        // would leave its server behind, orphaned and still holding the port
        ProcessHandle wrapper = before.stream()
                .filter(p -> p.parent().map(parent -> !before.contains(parent)).orElse(true))
                .findFirst()
                .orElseThrow();
        wrapper.destroyForcibly();
        wrapper.onExit().get();

        assertThat(Workspaces.get(ws.getUrl()).statusCode())
                .as("the app, with its IDE down")
                .isEqualTo(200);
        Eventually.await(Duration.ofMinutes(1), "a new code-server, and nothing left of the old one", () -> {
            List<ProcessHandle> now = codeServerProcesses(ide);
            return !now.isEmpty()
                    && now.stream().noneMatch(before::contains)
                    && before.stream().noneMatch(ProcessHandle::isAlive);
        });
        CodeServer.awaitReady(ide, Duration.ofMinutes(1));
        assertThat(Workspaces.get(ws.getUrl()).statusCode()).isEqualTo(200);
    }

    @Test
    void anEditAndAnIdeSettingSurviveSuspendAndArchiveWithARestoreOnAnotherHost() throws Exception {
        Workspace ws = created("ide-state");
        String check =
                "echo $(cat notes.txt)-$(grep -c '\"editor.fontSize\": 19' ../.ide/user-data/User/settings.json)";
        // as a person would: in the IDE's terminal, an edit to the project and a changed setting
        inIde(
                ws,
                "echo edited > notes.txt && sed -i 's/^{/{ \"editor.fontSize\": 19,/' ../.ide/user-data/User/settings.json"
                        + " && " + check,
                "edited-1");

        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "suspend", ws.getId()));
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "restore", ws.getId()));
        assertThat(inIde(get(ws.getId()), check, "edited-1").explorer()).contains("notes.txt");

        SpinUpCluster.TestHost home = hostOf(get(ws.getId()));
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "archive", ws.getId()));
        cluster.admin()
                .drainHost(DrainHostRequest.newBuilder()
                        .setHostId(home.id().toString())
                        .build())
                .getHost();
        try {
            Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "restore", ws.getId()));
        } finally {
            cluster.admin()
                    .undrainHost(UndrainHostRequest.newBuilder()
                            .setHostId(home.id().toString())
                            .build())
                    .getHost();
        }
        Workspace restored = get(ws.getId());
        assertThat(restored.getHostId())
                .as("restored on the other host")
                .isNotEqualTo(home.id().toString());
        assertThat(inIde(restored, check, "edited-1").explorer()).contains("notes.txt");
    }

    /** Opens the workspace's IDE where it runs now and types {@code command} in its terminal until a line reads {@code expected}. */
    private static Browser.IdeView inIde(Workspace ws, String command, String expected) throws Exception {
        SpinUpCluster.TestHost on = hostOf(ws);
        String ide = on.agent().driver().find(ws.getId()).orElseThrow().ideEndpoint();
        CodeServer.awaitReady(ide, Duration.ofMinutes(1));
        // Through the edge of the workspace's home host, which forwards once it lives elsewhere.
        Browser.IdeView view = Browser.openIde(
                Workspaces.grant(cluster.product(), ws.getId(), AccessTarget.ACCESS_TARGET_IDE)
                        .getUrl(),
                Files.createDirectories(Path.of("target/screenshots").toAbsolutePath())
                        .resolve("ide-state-" + System.nanoTime() + ".png"),
                command,
                expected);
        assertThat(view.terminal().lines().map(String::strip))
                .as("the terminal")
                .contains(expected);
        return view;
    }

    private static String recordedIdeEndpoint(String workspaceId) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT ide_endpoint FROM workspaces WHERE id = :id")
                        .bind("id", UUID.fromString(workspaceId))
                        .mapTo(String.class)
                        .one());
    }

    private static SpinUpCluster.TestHost hostOf(Workspace ws) {
        return cluster.hosts().stream()
                .filter(h -> h.id().toString().equals(ws.getHostId()))
                .findFirst()
                .orElseThrow();
    }

    /** The edge the workspace's names point at: its home host's, where it was created. */
    private static String home(Workspace ws) {
        String home = cluster.database()
                .withHandle(h -> h.createQuery("SELECT home_host_id::text FROM workspaces WHERE id = :id")
                        .bind("id", UUID.fromString(ws.getId()))
                        .mapTo(String.class)
                        .one());
        return cluster.hosts().stream()
                .filter(h -> h.id().toString().equals(home))
                .findFirst()
                .orElseThrow()
                .agent()
                .edge()
                .address();
    }

    private static Workspace get(String id) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace();
    }

    private static Workspace created(String name) {
        Operation op = cluster.product()
                .createWorkspace(Workspaces.hobby(name).build())
                .getOperation();
        assertThat(Workspaces.awaitDone(cluster.product(), op.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        return cluster.product()
                .getWorkspace(GetWorkspaceRequest.newBuilder()
                        .setWorkspaceId(op.getWorkspaceId())
                        .build())
                .getWorkspace();
    }

    private static String ideEndpoint(Workspace ws) {
        LocalWorkspace local = hostOf(ws).agent().driver().find(ws.getId()).orElseThrow();
        assertThat(local.ideEndpoint())
                .as("the IDE's address on the host")
                .isNotEmpty()
                .isNotEqualTo(local.endpoint());
        return local.ideEndpoint();
    }

    /** The processes of the code-server on {@code endpoint}: those running entry.js with that port. */
    private static List<ProcessHandle> codeServerProcesses(String endpoint) {
        String port = endpoint.substring(endpoint.lastIndexOf(':') + 1);
        return ProcessHandle.allProcesses()
                .filter(p -> p.info()
                        .commandLine()
                        .map(c -> c.contains("out/node/entry.js") && c.contains(":" + port + " "))
                        .orElse(false))
                .toList();
    }
}
