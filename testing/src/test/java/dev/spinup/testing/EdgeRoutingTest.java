package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.UndrainHostRequest;
import dev.spinup.api.v1.Workspace;
import dev.spinup.controlplane.core.Envelope;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each host's real Caddy follows every transition of a published app: a request for the workspace's own host name,
 * sent to the edge of its home host, gets the app (websockets included), the suspended page, the
 * archived page, the app again on another host after a cross-host restore (the home host
 * forwards), and finally the tombstone — which it keeps serving with the control plane down. DNS
 * never changes: every request goes to the home host.
 */
class EdgeRoutingTest {
    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost home;
    static SpinUpCluster.TestHost other;

    @BeforeAll
    static void start() throws IOException {
        cluster = spinup.cluster();
        // An app with a WebSocket endpoint (the starter has none).
        Path guest = Workspaces.guestWithStartScript(spinup.dir().resolve("ws-guest"), "exec node ws-app.js\n");
        try (InputStream app = EdgeRoutingTest.class.getResourceAsStream("/edge-guest/ws-app.js")) {
            java.nio.file.Files.copy(app, guest.resolve("templates/starter/ws-app.js"));
        }
        home = cluster.startAgentWithEdge(new Envelope(4, 8, 50), guest);
        other = cluster.startAgentWithEdge(new Envelope(4, 8, 50), guest);
    }

    @Test
    void theHomeEdgeAnswersForTheWorkspaceInEveryState() throws Exception {
        Operation create = onlyOn(
                home,
                () -> cluster.product()
                        .createWorkspace(Workspaces.hobby("Edge demo").build())
                        .getOperation());
        Workspaces.awaitSucceeded(cluster.product(), create);
        String ws = create.getWorkspaceId();
        String hostname = workspace(ws).getHostname();
        assertThat(hostname).isEqualTo(ws + ".workspaces.localhost");
        assertThat(get(home, hostname).statusCode())
                .as("private until published")
                .isEqualTo(401);
        Workspaces.setAppSharing(cluster.product(), ws, dev.spinup.api.v1.Sharing.SHARING_PUBLIC);

        HttpResponse<String> app = get(home, hostname);
        assertThat(app.statusCode()).isEqualTo(200);
        assertThat(app.body()).contains("Edge demo");
        assertThat(webSocketGreeting(home, hostname)).isEqualTo("hello from Edge demo");

        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "suspend", ws));
        HttpResponse<String> asleep = get(home, hostname);
        assertThat(asleep.statusCode()).isEqualTo(503);
        assertThat(asleep.headers().firstValue("retry-after")).hasValue("30");
        assertThat(asleep.body()).contains("<title>Edge demo is asleep · SpinUp</title>");

        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "restore", ws));
        assertThat(get(home, hostname).body()).contains("Edge demo");

        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "archive", ws));
        HttpResponse<String> archived = get(home, hostname);
        assertThat(archived.statusCode()).isEqualTo(503);
        assertThat(archived.body())
                .contains("<title>Edge demo is archived · SpinUp</title>")
                .contains("restore it");

        // Restored from object storage onto the other host: DNS still points home, home forwards.
        Workspaces.awaitSucceeded(
                cluster.product(), onlyOn(other, () -> Workspaces.request(cluster.product(), "restore", ws)));
        assertThat(workspace(ws).getHostId()).isEqualTo(other.id().toString());
        assertThat(get(other, hostname).body()).as("the new host serves it").contains("Edge demo");
        HttpResponse<String> forwarded = Eventually.await(
                Duration.ofSeconds(30),
                "the home host to forward",
                () -> get(home, hostname),
                r -> r.statusCode() == 200);
        assertThat(forwarded.body()).contains("Edge demo");
        assertThat(webSocketGreeting(home, hostname))
                .as("websockets through two edges")
                .isEqualTo("hello from Edge demo");

        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "delete", ws));
        HttpResponse<String> gone = get(home, hostname);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.body()).contains("<title>" + hostname + " no longer exists · SpinUp</title>");

        HttpResponse<String> unknown = get(home, "nobody.workspaces.localhost");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("No workspace here");

        // With the control plane gone, the edges keep serving the last routes they were given.
        cluster.stopReplica(cluster.controlPlane());
        Eventually.await(
                Duration.ofSeconds(30),
                "the agents to notice the control plane is gone",
                () -> !home.agent().isConnected());
        assertThat(get(home, hostname).body()).contains("<title>" + hostname + " no longer exists · SpinUp</title>");
    }

    /** Runs {@code call} with every other host drained, so a placement can only pick {@code host}. */
    private static <T> T onlyOn(SpinUpCluster.TestHost host, java.util.function.Supplier<T> call) {
        SpinUpCluster.TestHost drained = host == home ? other : home;
        cluster.admin()
                .drainHost(DrainHostRequest.newBuilder()
                        .setHostId(drained.id().toString())
                        .build())
                .getHost();
        try {
            return call.get();
        } finally {
            cluster.admin()
                    .undrainHost(UndrainHostRequest.newBuilder()
                            .setHostId(drained.id().toString())
                            .build())
                    .getHost();
        }
    }

    private static Workspace workspace(String id) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace();
    }

    /** GET / for {@code hostname}, sent to the host's edge, as DNS would send it. */
    static HttpResponse<String> get(SpinUpCluster.TestHost host, String hostname) {
        try {
            return HTTP.send(
                    HttpRequest.newBuilder(
                                    URI.create("http://" + host.agent().edge().address() + "/"))
                            .header("Host", hostname)
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(
                    "GET " + hostname + " via " + host.agent().edge().address() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Opens a WebSocket to /ws through the edge and returns the first text message. */
    private static String webSocketGreeting(SpinUpCluster.TestHost host, String hostname) throws IOException {
        String[] edge = host.agent().edge().address().split(":");
        try (Socket socket = new Socket(edge[0], Integer.parseInt(edge[1]))) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /ws HTTP/1.1\r\nHost: " + hostname + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(new byte[16]) + "\r\n"
                            + "Sec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 101");
            int opcode = in.read() & 0x0f;
            int length = in.read() & 0x7f;
            assertThat(opcode).as("a text frame").isEqualTo(1);
            return new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }
}
