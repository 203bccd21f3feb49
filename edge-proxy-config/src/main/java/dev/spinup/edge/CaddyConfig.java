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
 */
public final class CaddyConfig {
    public static final String SERVER = "spinup";

    private CaddyConfig() {}

    public static String generationId(long generation) {
        return "spinup-g" + generation;
    }

    public static String render(EdgeSettings settings, long generation, List<EdgeRoute> routes) {
        List<EdgeRoute> sorted = routes.stream().sorted(Comparator.comparing(EdgeRoute::workspaceId)).toList();
        List<Object> caddyRoutes = new ArrayList<>();
        for (EdgeRoute r : sorted) {
            caddyRoutes.add(map("match", List.of(map("host", r.hostnames())),
                    "handle", List.of(handler(settings, r)),
                    "terminal", true));
        }
        // Anything else: a plain 404 page.
        caddyRoutes.add(map("handle", List.of(page(404, Pages.unknown(), Map.of()))));

        Map<String, Object> server = map("@id", generationId(generation), "listen", List.of(settings.listen()),
                "routes", caddyRoutes);
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
        return Json.write(map(
                "admin", map("listen", settings.adminListen()),
                "apps", apps));
    }

    private static Map<String, Object> handler(EdgeSettings settings, EdgeRoute r) {
        String host = r.hostnames().getFirst();
        return switch (r.mode()) {
            case PROXY -> map("handler", "reverse_proxy", "upstreams", List.of(map("dial", r.dial())));
            case FORWARD -> map("handler", "reverse_proxy", "upstreams", List.of(map("dial", r.dial())),
                    "headers", map("request", map("set", map("X-Spinup-Forwarded-By",
                            List.of(settings.hostLabel().isEmpty() ? "edge" : settings.hostLabel())))));
            case SUSPENDED -> page(503, Pages.suspended(r.displayName(), host, settings.retryAfterSeconds()),
                    Map.of("Retry-After", String.valueOf(settings.retryAfterSeconds())));
            case ARCHIVED -> page(503, Pages.archived(r.displayName(), host), Map.of());
            case TOMBSTONE -> page(404, Pages.tombstone(host), Map.of());
        };
    }

    private static int port(String listen) {
        return Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
    }

    private static Map<String, Object> page(int status, String html, Map<String, String> extraHeaders) {
        Map<String, Object> headers = map("Cache-Control", List.of("no-store"),
                "Content-Type", List.of("text/html; charset=utf-8"));
        extraHeaders.entrySet().stream().sorted(Map.Entry.comparingByKey())
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
