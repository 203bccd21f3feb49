package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.AccessTarget;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.ProjectTemplate;
import dev.spinup.api.v1.Workspace;
import dev.spinup.controlplane.core.Envelope;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A React workspace is a project under development: its app is Vite's dev server, started from
 * the node_modules its host gave the new project (no registry reached from the workspace). In
 * Chromium, through the edge with two grants, an edit typed into the file in the IDE and saved
 * shows up in the app's preview by hot reload, without the page reloading. A project that asks
 * for its production build gets it at its next start.
 */
class DevServerTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.startAgentWithIde(new Envelope(8, 16, 100));
    }

    @Test
    void anEditSavedInTheIdeShowsInThePreviewByHotReload() throws Exception {
        String ws = Workspaces.createActive(
                cluster.product(), Workspaces.hobby("Dev server").setTemplate(ProjectTemplate.PROJECT_TEMPLATE_REACT));
        Workspace w = workspace(ws);
        Path project = host.dataDir().resolve("workspaces").resolve(ws).resolve("disk/project");
        assertThat(project.resolve("node_modules/.bin/vite"))
                .as("the project's own node_modules")
                .exists();
        CodeServer.awaitReady(host.agent().driver().find(ws).orElseThrow().ideEndpoint(), Duration.ofMinutes(1));

        HttpResponse<String> page = EdgeHttp.get(
                host.agent().edge().address(),
                "http://" + w.getHostname() + "/",
                EdgeHttp.cookieOf(EdgeHttp.get(
                        host.agent().edge().address(),
                        Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_APP)
                                .getUrl(),
                        null)));
        assertThat(page.body()).as("served by Vite's dev server").contains("/@vite/client");

        Path screenshot = Files.createDirectories(Path.of("target/screenshots").toAbsolutePath())
                .resolve("dev-server-hot-reload.png");
        Browser.EditView view = Browser.editAndWatch(
                Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_APP)
                        .getUrl(),
                Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_IDE)
                        .getUrl(),
                "src/App.jsx",
                "React starter",
                "Edited live",
                screenshot);
        assertThat(view.before()).contains("React starter");
        assertThat(view.after()).contains("Edited live").doesNotContain("React starter");
        assertThat(view.reloaded()).as("hot reload, not a page reload").isFalse();
        System.out.println("hot reload: save -> preview shows it in " + view.saveToPreviewMs() + " ms; RSS: dev server "
                + CodeServer.residentMib(serving(w.getUrl())) + " MiB, IDE "
                + CodeServer.residentMib(
                        ide(host.agent().driver().find(ws).orElseThrow().ideEndpoint()))
                + " MiB");
        assertThat(Files.readString(project.resolve("src/App.jsx")))
                .as("saved to the workspace's disk")
                .contains("<h1>Edited live</h1>");

        // The production build instead, from the next start on.
        Files.writeString(project.resolve(".spinup-serve-build"), "");
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "suspend", ws));
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "restore", ws));
        HttpResponse<String> built = Workspaces.get(workspace(ws).getUrl() + "/");
        assertThat(built.statusCode()).isEqualTo(200);
        assertThat(built.body())
                .as("dist/, not the dev server")
                .doesNotContain("/@vite/client")
                .contains("/assets/");
    }

    @Test
    void aNextJsProjectRunsNextDevAndFollowsAnEdit() throws Exception {
        String ws = Workspaces.createActive(
                cluster.product(), Workspaces.hobby("Next dev").setTemplate(ProjectTemplate.PROJECT_TEMPLATE_NEXTJS));
        Workspaces.setAppSharing(cluster.product(), ws, dev.spinup.api.v1.Sharing.SHARING_PUBLIC);
        // next dev compiles the page on its first request (about ten seconds here)
        HttpResponse<String> page = Eventually.await(
                Duration.ofMinutes(2),
                "next dev to serve the page through the edge",
                () -> EdgeHttp.get(
                        host.agent().edge().address(), "http://" + workspace(ws).getHostname() + "/", null),
                r -> r.statusCode() == 200);
        assertThat(page.body())
                .as("the dev server's page, not the static export")
                .contains("/_next/static/chunks/main-app.js")
                .contains("Next.js starter");

        CodeServer.awaitReady(host.agent().driver().find(ws).orElseThrow().ideEndpoint(), Duration.ofMinutes(1));
        Browser.EditView view = Browser.editAndWatch(
                "http://" + workspace(ws).getHostname() + ":" + edgePort() + "/",
                Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_IDE)
                        .getUrl(),
                "app/page.jsx",
                "Next.js starter",
                "Next, edited live",
                Files.createDirectories(Path.of("target/screenshots").toAbsolutePath())
                        .resolve("next-dev-hot-reload.png"));
        // The page follows the save by itself, no restart: next dev 15.5 here reloads the page for
        // an edit to a server component rather than patching it in place as Vite does.
        assertThat(view.after()).contains("Next, edited live");
        System.out.println("next dev: save -> preview " + view.saveToPreviewMs() + " ms (reloaded: "
                + view.reloaded() + "); RSS "
                + CodeServer.residentMib(serving(workspace(ws).getUrl())) + " MiB");
    }

    private static String edgePort() {
        String edge = host.agent().edge().address();
        return edge.substring(edge.lastIndexOf(':') + 1);
    }

    /** The code-server answering at {@code endpoint}: the processes started with its port, with their children. */
    private static java.util.List<ProcessHandle> ide(String endpoint) {
        String port = endpoint.substring(endpoint.lastIndexOf(':') + 1);
        return ProcessHandle.allProcesses()
                .filter(CodeServer::isCodeServer)
                .filter(p -> p.info().commandLine().orElse("").contains(":" + port + " "))
                .flatMap(p -> java.util.stream.Stream.concat(java.util.stream.Stream.of(p), p.descendants()))
                .distinct()
                .toList();
    }

    /** The processes of the dev server listening on {@code url}'s port, with their children. */
    private static java.util.List<ProcessHandle> serving(String url) {
        String port = url.substring(url.lastIndexOf(':') + 1).replace("/", "");
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains("--port " + port))
                .flatMap(p -> java.util.stream.Stream.concat(java.util.stream.Stream.of(p), p.descendants()))
                .distinct()
                .toList();
    }

    private static Workspace workspace(String id) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace();
    }
}
