package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.edge.CaddyEdge;
import dev.spinup.api.v1.ApplyEdgeRoutes;
import dev.spinup.api.v1.EdgeRoute;
import dev.spinup.api.v1.EdgeRouteMode;
import dev.spinup.edge.EdgeSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The edge pages as people see them (the private one from the host's access verifier): a real headless Chromium loads each page from a real Caddy
 * (Chromium sends *.localhost to loopback by itself), the test checks the rendered title, and the
 * screenshot is saved under target/screenshots/ (the README shows copies of them).
 */
class EdgePagesInChromiumTest {
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    @TempDir
    static Path dir;

    static CaddyEdge edge;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        port = Ports.free();
        edge = new CaddyEdge(
                dir.resolve("edge"),
                EdgeSettings.plainHttp("127.0.0.1:" + Ports.free(), "127.0.0.1:" + port, "host-a"),
                "127.0.0.1:" + port,
                CaddyEdge.findBinary("caddy"));
        edge.apply(
                ApplyEdgeRoutes.newBuilder()
                        .setGeneration(1)
                        .addRoutes(route(
                                "0197a000-0000-7000-8000-00000000000a",
                                "Team wiki",
                                "wiki",
                                EdgeRouteMode.EDGE_ROUTE_MODE_SUSPENDED_PAGE))
                        .addRoutes(route(
                                "0197a000-0000-7000-8000-00000000000b",
                                "Design system",
                                "design",
                                EdgeRouteMode.EDGE_ROUTE_MODE_ARCHIVED_PAGE))
                        .addRoutes(route(
                                "0197a000-0000-7000-8000-00000000000c",
                                "deleted workspace",
                                "old-demo",
                                EdgeRouteMode.EDGE_ROUTE_MODE_TOMBSTONE))
                        // running, private: opened without a grant, the verifier's page
                        .addRoutes(route(
                                        "0197a000-0000-7000-8000-00000000000d",
                                        "Shop",
                                        "shop",
                                        EdgeRouteMode.EDGE_ROUTE_MODE_PROXY)
                                .toBuilder()
                                .setUpstream("127.0.0.1:" + Ports.free()))
                        .build());
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() {
        if (edge != null) {
            edge.closeAndStopCaddy();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "suspended | wiki     | Team wiki is asleep · SpinUp",
                "archived  | design   | Design system is archived · SpinUp",
                "tombstone | old-demo | old-demo.workspaces.localhost no longer exists · SpinUp",
                "unknown   | nobody   | No workspace here · SpinUp",
                "private   | shop     | Sign-in needed · SpinUp"
            })
    void thePageRendersInChromium(String page, String name, String title) throws Exception {
        String url = "http://" + name + ".workspaces.localhost:" + port + "/";

        String dom = Chromium.run(dir, "--dump-dom", url);
        assertThat(dom).contains("<title>" + title + "</title>").contains("<h1>");

        Path png = SCREENSHOTS.resolve("edge-" + page + ".png");
        Files.deleteIfExists(png);
        Chromium.run(dir, "--screenshot=" + png.toAbsolutePath(), "--window-size=960,640", "--hide-scrollbars", url);
        assertThat(png).exists();
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes.length).as("a real PNG").isGreaterThan(5_000);
        assertThat(new String(bytes, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }

    private static EdgeRoute route(String id, String displayName, String name, EdgeRouteMode mode) {
        return EdgeRoute.newBuilder()
                .setWorkspaceId(id)
                .setDisplayName(displayName)
                .addDomains(name + ".workspaces.localhost")
                .setMode(mode)
                .build();
    }
}
