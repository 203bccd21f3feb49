package dev.spinup.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The rendered config is compared byte for byte with golden files under src/test/resources/golden.
 * After an intended change, regenerate them with {@code -Dgolden.update=true} and review the diff.
 */
class CaddyConfigTest {
    static final List<EdgeRoute> ROUTES = List.of(
            new EdgeRoute(
                    "0197a000-0000-7000-8000-000000000001",
                    "Shop front",
                    List.of("0197a000-0000-7000-8000-000000000001.ws.example.test", "Shop.Example.COM"),
                    EdgeRoute.Mode.PROXY,
                    "http://127.0.0.1:20000",
                    "0197a000-0000-7000-8000-000000000001--ide.ws.example.test",
                    "http://127.0.0.1:20001",
                    false),
            new EdgeRoute(
                    "0197a000-0000-7000-8000-000000000002",
                    "Blog <draft>",
                    List.of("0197a000-0000-7000-8000-000000000002.ws.example.test"),
                    EdgeRoute.Mode.SUSPENDED,
                    ""),
            new EdgeRoute(
                    "0197a000-0000-7000-8000-000000000003",
                    "Old project",
                    List.of("0197a000-0000-7000-8000-000000000003.ws.example.test"),
                    EdgeRoute.Mode.ARCHIVED,
                    "",
                    "0197a000-0000-7000-8000-000000000003--ide.ws.example.test",
                    "",
                    false),
            new EdgeRoute(
                    "0197a000-0000-7000-8000-000000000004",
                    "Moved",
                    List.of("0197a000-0000-7000-8000-000000000004.ws.example.test"),
                    EdgeRoute.Mode.FORWARD,
                    "host-b.example.test:80"),
            new EdgeRoute(
                    "0197a000-0000-7000-8000-000000000005",
                    "deleted",
                    List.of("0197a000-0000-7000-8000-000000000005.ws.example.test"),
                    EdgeRoute.Mode.TOMBSTONE,
                    ""),
            new EdgeRoute(
                    "0197a000-0000-7000-8000-000000000006",
                    "Published preview",
                    List.of("0197a000-0000-7000-8000-000000000006.ws.example.test"),
                    EdgeRoute.Mode.PROXY,
                    "127.0.0.1:20002",
                    "0197a000-0000-7000-8000-000000000006--ide.ws.example.test",
                    "127.0.0.1:20003",
                    true,
                    List.of(5173, 3000)));

    static final EdgeSettings PLAIN = EdgeSettings.plainHttp("127.0.0.1:2019", ":8080", "host-a")
            .withAuthDial("127.0.0.1:2100")
            .withAccessLog("/var/lib/spinup/edge/published-access.log");

    @Test
    void plainHttpConfigMatchesItsGoldenFile() throws IOException {
        assertGolden("plain-http.json", CaddyConfig.render(PLAIN, 42, ROUTES));
    }

    @Test
    void internalCertificatesConfigMatchesItsGoldenFile() throws IOException {
        assertGolden(
                "internal-tls.json",
                CaddyConfig.render(
                        new EdgeSettings("127.0.0.1:2019", ":443", EdgeSettings.Tls.INTERNAL, null, 30, "host-a")
                                .withAuthDial("127.0.0.1:2100"),
                        7,
                        ROUTES.subList(0, 1)));
    }

    @Test
    void acmeConfigMatchesItsGoldenFile() throws IOException {
        assertGolden(
                "acme-tls.json",
                CaddyConfig.render(
                        new EdgeSettings(
                                        "127.0.0.1:2019",
                                        ":443",
                                        EdgeSettings.Tls.ACME,
                                        "ops@example.test",
                                        30,
                                        "host-a")
                                .withAuthDial("127.0.0.1:2100"),
                        7,
                        ROUTES.subList(0, 1)));
    }

    @Test
    void anEmptyHostStillAnswersWithTheNotFoundPage() throws IOException {
        assertGolden(
                "empty.json",
                CaddyConfig.render(EdgeSettings.plainHttp("127.0.0.1:2019", ":8080", "host-a"), 1, List.of()));
    }

    @Test
    void withoutAVerifierEveryPrivateNameIsRefused() {
        String json = CaddyConfig.render(EdgeSettings.plainHttp("127.0.0.1:2019", ":8080", "h"), 1, ROUTES);
        assertThat(json)
                .doesNotContain("\"dial\": \"127.0.0.1:20000\"")
                .doesNotContain("\"dial\": \"127.0.0.1:20001\"")
                .contains("\"dial\": \"127.0.0.1:20002\"")
                .as("the IDE is private even where the app is public")
                .doesNotContain("\"dial\": \"127.0.0.1:20003\"");
    }

    @Test
    void theOrderOfTheRoutesDoesNotChangeTheOutput() {
        EdgeSettings settings = EdgeSettings.plainHttp("127.0.0.1:2019", ":8080", "host-a");
        String expected = CaddyConfig.render(settings, 3, ROUTES);
        List<EdgeRoute> shuffled = new ArrayList<>(ROUTES);
        Collections.shuffle(shuffled, new Random(7));
        assertThat(CaddyConfig.render(settings, 3, shuffled)).isEqualTo(expected);
    }

    @Test
    void workspaceNamesAreEscapedInPagesAndConfig() {
        String json = CaddyConfig.render(EdgeSettings.plainHttp("127.0.0.1:2019", ":8080", "h"), 1, ROUTES);
        assertThat(json).doesNotContain("<draft>").doesNotContain("<html").contains("\\u003chtml");
        assertThat(Pages.suspended("<script>alert(1)</script>", "x.test", 30))
                .doesNotContain("<script>")
                .contains("&lt;script&gt;");
        // Caddy fills in {placeholders} in the pages: a name must never turn into one.
        String sneaky = CaddyConfig.render(
                EdgeSettings.plainHttp("127.0.0.1:2019", ":8080", "h"),
                1,
                List.of(new EdgeRoute(
                        "w", "{http.request.header.Cookie}", List.of("w.test"), EdgeRoute.Mode.SUSPENDED, "")));
        assertThat(sneaky)
                .doesNotContain("\"{http.request.header.Cookie}")
                .contains("\\u0026#123;http.request.header.Cookie\\u0026#125;");
    }

    @Test
    void everyPageNamesItsWorkspaceAndIsSelfContained() {
        List<String> pages = List.of(
                Pages.suspended("Shop front", "s.test", 30),
                Pages.archived("Shop front", "s.test"),
                Pages.tombstone("s.test"),
                Pages.unknown(),
                Pages.portClosed("w--3000.s.test", 3000, "PORT_NOT_LISTENING"));
        for (String page : pages) {
            assertThat(page)
                    .startsWith("<!doctype html>")
                    .contains("<html lang=\"en\">")
                    .contains("<main>")
                    .contains("<h1>")
                    .doesNotContain("src=\"http")
                    .doesNotContain("href=\"http")
                    .doesNotContain("@import")
                    .doesNotContain("<script");
        }
        assertThat(pages.get(0))
                .contains("<title>Shop front is asleep · SpinUp</title>")
                .contains("http-equiv=\"refresh\" content=\"30\"");
        assertThat(pages.get(1))
                .contains("<title>Shop front is archived · SpinUp</title>")
                .contains("restore it");
        assertThat(pages.get(2)).contains("<title>s.test no longer exists · SpinUp</title>");
        assertThat(pages.get(4))
                .contains("<title>Nothing on port 3000 · SpinUp</title>")
                .contains("PORT_NOT_LISTENING")
                .as("a server still starting shows up by itself")
                .contains("http-equiv=\"refresh\" content=\"5\"");
    }

    @Test
    void previewNamesAreOneLabelUnderTheIdesDomainWithTheirPort() {
        EdgeRoute r = ROUTES.getFirst();
        java.util.regex.Pattern names = java.util.regex.Pattern.compile(r.previewHostPattern());
        String id = r.workspaceId();

        assertThat(names.matcher(id + "--3000.ws.example.test").matches()).isTrue();
        assertThat(names.matcher(id.toUpperCase(java.util.Locale.ROOT) + "--5173.WS.example.test:8080")
                        .matches())
                .as("names are case-insensitive; the edge's port may follow")
                .isTrue();
        assertThat(List.of(
                        id + "--ide.ws.example.test",
                        id + ".ws.example.test",
                        id + "--3000.ws.example.test.evil.test",
                        id + "--3000.wsXexample.test",
                        "x" + id + "--3000.ws.example.test",
                        id + "--123456.ws.example.test"))
                .noneMatch(h -> names.matcher(h).matches());
        assertThat(EdgeRoute.previewPort(id + "--3000.ws.example.test:8080")).isEqualTo(3000);
        assertThat(EdgeRoute.previewPort(id + "--ide.ws.example.test")).isEqualTo(-1);
        assertThat(EdgeRoute.previewPort(id + "--0.ws.example.test")).isEqualTo(-1);
        assertThat(EdgeRoute.previewPort(id + "--65536.ws.example.test")).isEqualTo(-1);
        assertThat(new EdgeRoute(id, "n", List.of(id + ".ws.example.test"), EdgeRoute.Mode.PROXY, "127.0.0.1:1")
                        .previewHostPattern())
                .as("no IDE name, so no domain for previews")
                .isEmpty();
    }

    @Test
    void badRoutesAreRefusedWithAReason() {
        assertThatThrownBy(() -> new EdgeRoute("w", "n", List.of(), EdgeRoute.Mode.SUSPENDED, ""))
                .hasMessageContaining("no hostname");
        assertThatThrownBy(() -> new EdgeRoute("w", "n", List.of("w.test"), EdgeRoute.Mode.PROXY, ""))
                .hasMessageContaining("PROXY needs an upstream");
        assertThatThrownBy(() -> new EdgeSettings("a", "b", EdgeSettings.Tls.ACME, "", 30, "h"))
                .hasMessageContaining("e-mail");
    }

    private static void assertGolden(String name, String actual) throws IOException {
        Path golden = Path.of("src/test/resources/golden").resolve(name);
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(golden, actual);
        }
        assertThat(golden)
                .as("golden file %s (regenerate with -Dgolden.update=true)", name)
                .exists();
        assertThat(actual).isEqualTo(Files.readString(golden));
    }
}
