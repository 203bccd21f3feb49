package dev.spinup.edge;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a host's <em>whole</em> Caddy JSON config from the routes it answers for. A pure
 * function: the same settings, generation and routes give byte-identical output, whatever order
 * the routes come in. The generation is stamped on the server as {@code "@id": "spinup-g<n>"}, so
 * {@code GET /id/spinup-g<n>} on the admin API tells whether that generation is the one loaded.
 *
 * <p>A running workspace's route proxies; a page's route only sets two variables (which page, and
 * the workspace's name, HTML-escaped) and the three pages are rendered once, filled in per request,
 * so a route costs about 200 bytes of config rather than a page.
 */
public final class CaddyConfig {
    public static final String SERVER = "spinup";
    private static final String PAGE_VAR = "spinup_page";
    private static final String NAME_VAR = "spinup_name";

    private CaddyConfig() {}

    public static String generationId(long generation) {
        return "spinup-g" + generation;
    }

    public static String render(EdgeSettings settings, long generation, List<EdgeRoute> routes) {
        List<EdgeRoute> sorted = routes.stream()
                .sorted(Comparator.comparing(EdgeRoute::workspaceId))
                .toList();
        List<Object> caddyRoutes = new ArrayList<>();
        for (EdgeRoute r : sorted) {
            Map<String, Object> route = map("match", List.of(map("host", r.hostnames())));
            switch (r.mode()) {
                case PROXY ->
                    route.putAll(map(
                            "handle",
                            List.of(map("handler", "reverse_proxy", "upstreams", List.of(map("dial", r.dial())))),
                            "terminal",
                            true));
                case FORWARD ->
                    route.putAll(map(
                            "handle",
                            List.of(map(
                                    "handler",
                                    "reverse_proxy",
                                    "upstreams",
                                    List.of(map("dial", r.dial())),
                                    "headers",
                                    map(
                                            "request",
                                            map(
                                                    "set",
                                                    map(
                                                            "X-Spinup-Forwarded-By",
                                                            List.of(
                                                                    settings.hostLabel()
                                                                                    .isEmpty()
                                                                            ? "edge"
                                                                            : settings.hostLabel())))))),
                            "terminal",
                            true));
                // The pages are rendered once, below: a route only says which page, with which name.
                case SUSPENDED, ARCHIVED, TOMBSTONE ->
                    route.put(
                            "handle",
                            List.of(map(
                                    "handler",
                                    "vars",
                                    PAGE_VAR,
                                    r.mode().name().toLowerCase(java.util.Locale.ROOT),
                                    NAME_VAR,
                                    Pages.esc(Pages.label(
                                            r.displayName(), r.hostnames().getFirst())))));
            }
            caddyRoutes.add(route);
        }
        String name = "{http.vars." + NAME_VAR + "}";
        String host = "{http.request.host}";
        caddyRoutes.add(pageRoute(
                "suspended",
                503,
                Pages.suspendedHtml(name, host, settings.retryAfterSeconds()),
                Map.of("Retry-After", String.valueOf(settings.retryAfterSeconds()))));
        caddyRoutes.add(pageRoute("archived", 503, Pages.archivedHtml(name, host), Map.of()));
        caddyRoutes.add(pageRoute("tombstone", 404, Pages.tombstoneHtml(host), Map.of()));
        // Anything else: a plain 404 page.
        caddyRoutes.add(map("handle", List.of(page(404, Pages.unknown(), Map.of()))));

        Map<String, Object> server =
                map("@id", generationId(generation), "listen", List.of(settings.listen()), "routes", caddyRoutes);
        Map<String, Object> apps = new LinkedHashMap<>();
        Map<String, Object> http = new LinkedHashMap<>();
        if (settings.tls() == EdgeSettings.Tls.OFF) {
            server.put("automatic_https", map("disable", true));
        } else {
            // Every routed name gets a certificate, on whatever port the edge listens.
            http.put("https_port", port(settings.listen()));
            Map<String, Object> issuer;
            if (settings.tls() == EdgeSettings.Tls.INTERNAL) {
                issuer = map("module", "internal");
                // Caddy's local CA stays Caddy's: not installed into this machine's trust store, and
                // no HTTP->HTTPS redirect listener on :80 (several dev edges may share a machine).
                apps.put("pki", map("certificate_authorities", map("local", map("install_trust", false))));
                server.put("automatic_https", map("disable_redirects", true));
            } else {
                issuer = map("module", "acme", "email", settings.acmeEmail());
            }
            apps.put("tls", map("automation", map("policies", List.of(map("issuers", List.of(issuer))))));
        }
        http.put("servers", map(SERVER, server));
        apps.put("http", http);
        return Json.write(map("admin", map("listen", settings.adminListen()), "apps", apps));
    }

    private static Map<String, Object> pageRoute(String page, int status, String html, Map<String, String> headers) {
        return map(
                "match",
                List.of(map("vars", map(PAGE_VAR, List.of(page)))),
                "handle",
                List.of(page(status, html, headers)),
                "terminal",
                true);
    }

    private static int port(String listen) {
        return Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
    }

    private static Map<String, Object> page(int status, String html, Map<String, String> extraHeaders) {
        Map<String, Object> headers =
                map("Cache-Control", List.of("no-store"), "Content-Type", List.of("text/html; charset=utf-8"));
        extraHeaders.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> headers.put(e.getKey(), List.of(e.getValue())));
        return map("handler", "static_response", "status_code", status, "headers", headers, "body", html);
    }

    private static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
