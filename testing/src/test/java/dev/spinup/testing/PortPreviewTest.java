package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.ErrorInfo;
import dev.spinup.api.v1.AccessGrant;
import dev.spinup.api.v1.AccessTarget;
import dev.spinup.api.v1.CreateAccessGrantRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.SetSharingRequest;
import dev.spinup.api.v1.Sharing;
import dev.spinup.api.v1.Workspace;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.Status;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Port previews, as a user gets them: a server started in the IDE's terminal is found by the
 * host, reported to the control plane (Workspace.preview_ports), and reached through the edge at
 * {@code <id>--<port>.<domain>} — privately with a grant for that port, or by anyone once the
 * port is published. A port nothing listens on gets no grant, and the edge's page says so.
 */
class PortPreviewTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.agentHeartbeat(Duration.ofMillis(500)));

    static SpinUpCluster cluster;
    static String edge;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        edge = cluster.startAgentWithIde(new Envelope(4, 8, 50)).agent().edge().address();
    }

    @Test
    void aServerStartedInTheTerminalIsPreviewedPrivatelyThenPublicly() throws Exception {
        String ws = Workspaces.createActive(cluster.product(), "Previewed");
        int port = Ports.free();
        String preview = "http://" + ws + "--" + port + ".workspaces.localhost/";
        assertThat(workspace(ws).getPreviewPortsList())
                .as("the app and the IDE are not previews")
                .isEmpty();
        ErrorInfo closed = assertError(
                () -> cluster.product().createAccessGrant(portGrant(ws, port)).getAccessGrant(),
                Status.Code.FAILED_PRECONDITION,
                ErrorReason.ERROR_REASON_PORT_NOT_LISTENING);
        assertThat(closed.getMetadataMap())
                .containsEntry("port", Integer.toString(port))
                .containsEntry("workspaceId", ws);

        // As a user would: a server started in the IDE's terminal, left running in the background.
        String token = UUID.randomUUID().toString().substring(0, 8);
        String server = "require('http').createServer((q, s) => q.url === '/exit' ? process.exit(0)"
                + " : s.end('preview ' + q.url + ' " + token + "')).listen(" + port + ", '127.0.0.1')";
        Browser.openIde(
                Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_IDE)
                        .getUrl(),
                Files.createDirectories(Path.of("target/screenshots").toAbsolutePath())
                        .resolve("port-preview-terminal.png"),
                "nohup node -e \"" + server + "\" >/dev/null 2>&1 & echo started-" + token,
                "started-" + token);
        Eventually.await(
                Duration.ofSeconds(30),
                "the host to report port " + port,
                () -> workspace(ws).getPreviewPortsList().contains(port));
        assertThat(workspace(ws).getPreviewPortsList()).containsExactly(port);

        assertRefused(EdgeHttp.get(edge, preview, null), 401, "GRANT_MISSING");
        String appCookie = session(Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_APP));
        assertRefused(EdgeHttp.get(edge, preview, appCookie), 401, "GRANT_WRONG_WORKSPACE");

        AccessGrant grant =
                cluster.product().createAccessGrant(portGrant(ws, port)).getAccessGrant();
        assertThat(grant.getTarget()).isEqualTo(AccessTarget.ACCESS_TARGET_PORT);
        assertThat(grant.getPort()).isEqualTo(port);
        assertThat(grant.getUrl()).startsWith("http://" + ws + "--" + port + ".workspaces.localhost:");
        String cookie = session(grant);
        HttpResponse<String> page = EdgeHttp.get(edge, preview + "hello?x=1", cookie);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).isEqualTo("preview /hello?x=1 " + token);
        int other = Ports.free();
        assertRefused(
                EdgeHttp.get(edge, "http://" + ws + "--" + other + ".workspaces.localhost/", cookie),
                401,
                "GRANT_WRONG_WORKSPACE");

        Workspaces.awaitSucceeded(
                cluster.product(),
                cluster.product().setSharing(sharing(ws, port)).getOperation());
        assertThat(workspace(ws).getPublicPortsList()).containsExactly(port);
        assertThat(EdgeHttp.get(edge, preview, null).body())
                .as("a published port, without a grant")
                .isEqualTo("preview / " + token);
        assertThat(EdgeHttp.get(edge, "http://" + ws + ".workspaces.localhost/", null)
                        .statusCode())
                .as("the app stays private")
                .isEqualTo(401);

        EdgeHttp.get(edge, preview + "exit", null);
        Eventually.await(
                Duration.ofSeconds(30),
                "the host to report the port closed",
                () -> workspace(ws).getPreviewPortsList().isEmpty());
        HttpResponse<String> gone = EdgeHttp.get(edge, preview, null);
        assertRefused(gone, 502, "PORT_NOT_LISTENING");
        assertThat(gone.body()).contains("Nothing listens on port " + port);
    }

    @Test
    void aGrantForAPortNeedsAPortAndNoOtherTargetTakesOne() {
        String ws = Workspaces.createActive(cluster.product(), "Ports asked wrongly");
        assertThat(assertError(
                                () -> cluster.product()
                                        .createAccessGrant(portGrant(ws, 0))
                                        .getAccessGrant(),
                                Status.Code.INVALID_ARGUMENT,
                                ErrorReason.ERROR_REASON_FIELD_REQUIRED)
                        .getMetadataMap())
                .containsEntry("field", "port");
        assertError(
                () -> cluster.product().createAccessGrant(portGrant(ws, 65536)).getAccessGrant(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_FIELD_INVALID);
        assertError(
                () -> cluster.product()
                        .createAccessGrant(portGrant(ws, 3000).toBuilder()
                                .setTarget(AccessTarget.ACCESS_TARGET_APP)
                                .build())
                        .getAccessGrant(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_FIELD_INVALID);
        assertError(
                () -> cluster.product().setSharing(sharing(ws, 0)).getOperation(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_FIELD_REQUIRED);
    }

    private static CreateAccessGrantRequest portGrant(String ws, int port) {
        return CreateAccessGrantRequest.newBuilder()
                .setRequestId("req-" + UUID.randomUUID())
                .setWorkspaceId(ws)
                .setTarget(AccessTarget.ACCESS_TARGET_PORT)
                .setPort(port)
                .build();
    }

    private static SetSharingRequest sharing(String ws, int port) {
        return SetSharingRequest.newBuilder()
                .setRequestId("req-" + UUID.randomUUID())
                .setWorkspaceId(ws)
                .setTarget(AccessTarget.ACCESS_TARGET_PORT)
                .setPort(port)
                .setSharing(Sharing.SHARING_PUBLIC)
                .build();
    }

    /** Trades the grant's one-time URL at the edge; returns the session cookie it set. */
    private static String session(AccessGrant grant) {
        HttpResponse<String> traded = EdgeHttp.get(edge, grant.getUrl(), null);
        assertThat(traded.statusCode()).as("trading %s", grant.getTarget()).isEqualTo(302);
        return EdgeHttp.cookieOf(traded);
    }

    private static void assertRefused(HttpResponse<String> response, int status, String reason) {
        assertThat(response.statusCode())
                .as("status of a refused request (%s)", reason)
                .isEqualTo(status);
        assertThat(response.headers().firstValue("x-spinup-reason")).hasValue(reason);
    }

    private static Workspace workspace(String id) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace();
    }
}
