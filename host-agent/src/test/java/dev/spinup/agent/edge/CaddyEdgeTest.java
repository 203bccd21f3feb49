package dev.spinup.agent.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.spinup.agent.drivers.DriverException;
import dev.spinup.api.v1.ApplyEdgeRoutes;
import dev.spinup.api.v1.EdgeRoute;
import dev.spinup.api.v1.EdgeRouteMode;
import dev.spinup.edge.EdgeSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's edge against a real Caddy process it runs itself. */
class CaddyEdgeTest {
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    CaddyEdge edge;

    @AfterEach
    void stop() {
        if (edge != null) {
            edge.closeAndStopCaddy();
        }
    }

    @Test
    void appliesTheTableAndCaddyServesIt() throws Exception {
        int port = freePort();
        edge = supervised(port);
        assertThat(get(port, "sleepy.test").statusCode())
                .as("before any table: unknown host")
                .isEqualTo(404);

        String result = edge.apply(table(1, "sleepy.test"));

        assertThat(result).contains("Caddy serves 1 routes (generation 1)");
        HttpResponse<String> page = get(port, "sleepy.test");
        assertThat(page.statusCode()).isEqualTo(503);
        assertThat(page.headers().firstValue("retry-after")).hasValue("30");
        assertThat(page.body()).contains("<title>Sleepy is asleep · SpinUp</title>");
        assertThat(edge.apply(table(0, "other.test"))).startsWith("ignored generation 0");
        assertThat(get(port, "sleepy.test").statusCode())
                .as("an older table changes nothing")
                .isEqualTo(503);
    }

    @Test
    void aRunningWorkspaceWithNoEndpointYetGetsThePageInsteadOfFailingTheTable() throws Exception {
        int port = freePort();
        edge = supervised(port);
        // Another workspace on this host is being created: active, but not started yet.
        edge.apply(ApplyEdgeRoutes.newBuilder()
                .setGeneration(2)
                .addRoutes(EdgeRoute.newBuilder()
                        .setWorkspaceId("0197a000-0000-7000-8000-000000000002")
                        .setDisplayName("Starting")
                        .addDomains("starting.test")
                        .setMode(EdgeRouteMode.EDGE_ROUTE_MODE_PROXY))
                .build());
        assertThat(get(port, "starting.test").statusCode()).isEqualTo(503);
    }

    @Test
    void aCaddyThatDiesIsStartedAgainWithTheLastGoodConfig() throws Exception {
        int port = freePort();
        edge = supervised(port);
        edge.apply(table(5, "sleepy.test"));
        ProcessHandle first = edge.process().orElseThrow();

        first.destroyForcibly();
        first.onExit().get();

        Instant deadline = Instant.now().plusSeconds(30);
        while (status(port, "sleepy.test") != 503) {
            assertThat(Instant.now())
                    .as("Caddy back with the last routes within 30 s")
                    .isBefore(deadline);
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
        assertThat(edge.process().orElseThrow().pid()).isNotEqualTo(first.pid());
    }

    @Test
    void theEdgeProxiesOnlyToWhatThisHostRunsThereNowWhateverTheTableSays() throws Exception {
        String ws = "0197a000-0000-7000-8000-000000000003";
        HttpServer app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        app.createContext("/", exchange -> {
            byte[] body = ("app of " + ws).getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.start();
        try {
            int appPort = app.getAddress().getPort();
            Map<String, RouteGuard.Running> running = new ConcurrentHashMap<>();
            int port = freePort();
            edge = new CaddyEdge(
                    dir,
                    EdgeSettings.plainHttp("127.0.0.1:" + freePort(), "127.0.0.1:" + port, "h"),
                    "127.0.0.1:" + port,
                    CaddyEdge.findBinary("caddy"),
                    status -> {},
                    new RouteGuard(() -> Map.copyOf(running)));
            edge.apply(ApplyEdgeRoutes.newBuilder()
                    .setGeneration(1)
                    .addRoutes(EdgeRoute.newBuilder()
                            .setWorkspaceId(ws)
                            .setDisplayName("Guarded")
                            .addDomains("guarded.test")
                            .setMode(EdgeRouteMode.EDGE_ROUTE_MODE_PROXY)
                            .setUpstream("http://127.0.0.1:" + appPort)
                            .setAppPublic(true))
                    .build());
            assertThat(get(port, "guarded.test").statusCode())
                    .as("the table says proxy; the host runs nothing")
                    .isEqualTo(503);
            assertThat(edge.proxiedPorts()).isEmpty();

            running.put(ws, new RouteGuard.Running("http://127.0.0.1:" + appPort, ""));
            edge.refresh();
            assertThat(get(port, "guarded.test").body()).isEqualTo("app of " + ws);
            assertThat(edge.proxiedPorts()).containsExactly(appPort);

            running.put(ws, new RouteGuard.Running("http://127.0.0.1:" + freePort(), ""));
            edge.refresh();
            assertThat(get(port, "guarded.test").statusCode())
                    .as("it runs here, but at another port")
                    .isEqualTo(503);

            running.remove(ws);
            edge.refresh();
            assertThat(get(port, "guarded.test").statusCode()).as("it stopped").isEqualTo(503);
            assertThat(edge.proxiedPorts())
                    .as("the port is free for another workspace")
                    .isEmpty();
        } finally {
            app.stop(0);
        }
    }

    @Test
    void anUnreachableCaddyIsTheStepsErrorWithAReason() {
        int adminPort = freePort();
        edge = new CaddyEdge(
                dir,
                EdgeSettings.plainHttp("127.0.0.1:" + adminPort, "127.0.0.1:" + freePort(), "h"),
                "127.0.0.1:1",
                null);
        assertThatThrownBy(() -> edge.apply(table(1, "sleepy.test")))
                .isInstanceOf(DriverException.class)
                .hasMessageContaining("did not answer")
                .satisfies(e -> assertThat(((DriverException) e).code()).isEqualTo("edge_unreachable"));
    }

    @Test
    void aCaddyThisAgentDidNotStartOnTheAdminAddressIsRefusedAndKeepsServing() throws Exception {
        int adminPort = freePort();
        int sitePort = freePort();
        java.nio.file.Files.writeString(dir.resolve("foreign.json"), """
                {"admin": {"listen": "127.0.0.1:%d"},
                 "apps": {"http": {"servers": {"theirs": {"listen": ["127.0.0.1:%d"],
                   "routes": [{"handle": [{"handler": "static_response", "body": "their own site"}]}]}}}}}
                """.formatted(adminPort, sitePort));
        Process foreign = new ProcessBuilder(
                        CaddyEdge.findBinary("caddy").toString(),
                        "run",
                        "--config",
                        dir.resolve("foreign.json").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("foreign.log").toFile())
                .start();
        try {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!answers(sitePort)) {
                assertThat(Instant.now()).as("the foreign Caddy to serve").isBefore(deadline);
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            }
            assertThatThrownBy(() -> {
                        edge = new CaddyEdge(
                                dir.resolve("agent-edge"),
                                EdgeSettings.plainHttp("127.0.0.1:" + adminPort, "127.0.0.1:" + freePort(), "h"),
                                "127.0.0.1:" + freePort(),
                                CaddyEdge.findBinary("caddy"));
                        edge.apply(table(1, "sleepy.test"));
                    })
                    .hasMessageContaining("the edge admin address 127.0.0.1:" + adminPort)
                    .hasMessageContaining("did not start")
                    .hasMessageContaining("--edge-admin");
            assertThat(get(sitePort, "anything.test").body())
                    .as("their site is untouched")
                    .isEqualTo("their own site");
        } finally {
            foreign.destroy();
            foreign.waitFor();
        }
    }

    private static boolean answers(int port) {
        try {
            return get(port, "anything.test").statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private CaddyEdge supervised(int port) {
        return new CaddyEdge(
                dir,
                EdgeSettings.plainHttp("127.0.0.1:" + freePort(), "127.0.0.1:" + port, "h"),
                "127.0.0.1:" + port,
                CaddyEdge.findBinary("caddy"));
    }

    private static ApplyEdgeRoutes table(long generation, String hostname) {
        return ApplyEdgeRoutes.newBuilder()
                .setGeneration(generation)
                .addRoutes(EdgeRoute.newBuilder()
                        .setWorkspaceId("0197a000-0000-7000-8000-000000000001")
                        .setDisplayName("Sleepy")
                        .addDomains(hostname)
                        .setMode(EdgeRouteMode.EDGE_ROUTE_MODE_SUSPENDED_PAGE))
                .build();
    }

    private static int status(int port, String host) {
        try {
            return get(port, host).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private static HttpResponse<String> get(int port, String host) throws IOException {
        try {
            return HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                            .header("Host", host)
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static final java.util.concurrent.atomic.AtomicInteger nextPort =
            new java.util.concurrent.atomic.AtomicInteger(
                    12_000 + (int) (ProcessHandle.current().pid() % 8_000));

    /**
     * A port below the kernel's ephemeral range, as the testing module's {@code Ports.free}: one
     * from {@code bind(0)}, closed and handed to Caddy, could be taken by the next {@code bind(0)}.
     */
    private static int freePort() {
        while (true) {
            int port = 12_000 + Math.floorMod(nextPort.getAndIncrement() - 12_000, 9_000);
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException inUse) {
                // taken by something else: the next one
            }
        }
    }
}
