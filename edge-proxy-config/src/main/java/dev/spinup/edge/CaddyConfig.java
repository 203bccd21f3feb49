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
    /** A preview's upstream, as the verifier's check answered it. */
    private static final String UPSTREAM_VAR = "spinup_upstream";
    /** The access logger of published apps' requests ({@link EdgeSettings#accessLog}). */
    private static final String PUBLISHED_LOGGER = "spinup_published";
    /** The Host matcher of a workspace's preview names. */
    private static final String PREVIEW_MATCH = "spinup_preview";
    /** Where the host's access verifier answers Caddy's checks. */
    public static final String VERIFY_PATH = "/spinup/verify";
    /** The edge's session cookie, as a private name sets it; never passed on to a workspace. */
    public static final String SESSION_COOKIE = "spinup_session";

    private static final String SESSION_COOKIE_PATTERN = "(^|;\\s*)" + SESSION_COOKIE + "=[^;]*";

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
            switch (r.mode()) {
                case PROXY -> {
                    caddyRoutes.add(hostRoute(
                            r.hostnames(), guarded(settings, r.workspaceId(), "app", r.appPublic(), r.dial())));
                    // On a host without an IDE the IDE's name is not routed: the unknown page.
                    if (!r.ideHostname().isEmpty() && !r.ideUpstream().isEmpty()) {
                        caddyRoutes.add(hostRoute(
                                List.of(r.ideHostname()),
                                guarded(settings, r.workspaceId(), "ide", false, r.ideDial())));
                    }
                    // Previews: the verifier says whether the workspace listens on the port the
                    // name asks for, and where this host reaches it.
                    if (!r.previewHostPattern().isEmpty()) {
                        caddyRoutes.add(map(
                                "match", List.of(previewMatcher(r)), "handle", preview(settings, r), "terminal", true));
                    }
                }
                // The other host checks access: this one forwards every name, Host header kept.
                case FORWARD ->
                    caddyRoutes.add(map(
                            "match",
                            matchers(r),
                            "handle",
                            List.of(proxy(
                                    r.dial(),
                                    map(
                                            "set",
                                            map(
                                                    "X-Spinup-Forwarded-By",
                                                    List.of(
                                                            settings.hostLabel().isEmpty()
                                                                    ? "edge"
                                                                    : settings.hostLabel()))))),
                            "terminal",
                            true));
                // The pages are rendered once, below: a route only says which page, with which name.
                case SUSPENDED, ARCHIVED, TOMBSTONE -> {
                    Map<String, Object> route = map("match", matchers(r));
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
                    caddyRoutes.add(route);
                }
            }
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
        if (!settings.accessLog().isEmpty()) {
            // Published apps' requests pass no verifier: Caddy logs them (only them) for their
            // activity. Caddy 2.6 matches the Host header as sent, so each name with the port too.
            Map<String, Object> names = new java.util.TreeMap<>();
            String port = ":" + port(settings.listen());
            for (EdgeRoute r : sorted) {
                if (r.mode() == EdgeRoute.Mode.PROXY && r.appPublic()) {
                    for (String h : r.hostnames()) {
                        names.put(h, PUBLISHED_LOGGER);
                        names.put(h + port, PUBLISHED_LOGGER);
                    }
                }
            }
            server.put("logs", map("logger_names", names, "skip_unmapped_hosts", true));
        }
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
        // Caddy's own logs (its error log names the request) never hold a grant or a session.
        Map<String, Object> redacted = map(
                "format",
                "filter",
                "wrap",
                map("format", "json"),
                "fields",
                map(
                        "request>uri",
                        map(
                                "filter",
                                "query",
                                "actions",
                                List.of(map("type", "delete", "parameter", GrantToken.QUERY_PARAMETER))),
                        "request>headers>Cookie",
                        map("filter", "cookie", "actions", List.of(map("type", "delete", "name", SESSION_COOKIE)))));
        Map<String, Object> logs = new LinkedHashMap<>();
        Map<String, Object> defaultLog = map("encoder", redacted);
        logs.put("default", defaultLog);
        if (!settings.accessLog().isEmpty()) {
            String logger = "http.log.access." + PUBLISHED_LOGGER;
            defaultLog.put("exclude", List.of(logger));
            // Only when and where: the host and the time, never a URI, header or address.
            Map<String, Object> fields = new LinkedHashMap<>();
            for (String field : List.of(
                    "request>uri",
                    "request>headers",
                    "request>remote_ip",
                    "request>remote_port",
                    "resp_headers",
                    "user_id")) {
                fields.put(field, map("filter", "delete"));
            }
            logs.put(
                    "published",
                    map(
                            "writer",
                            map("output", "file", "filename", settings.accessLog(), "roll_size_mb", 1, "roll_keep", 1),
                            "encoder",
                            map("format", "filter", "wrap", map("format", "json"), "fields", fields),
                            "include",
                            List.of(logger)));
        }
        return Json.write(
                map("admin", map("listen", settings.adminListen()), "logging", map("logs", logs), "apps", apps));
    }

    /** Every name of the route: its own and its IDE's, and its previews' if it has a domain for them. */
    private static List<Object> matchers(EdgeRoute r) {
        return r.previewHostPattern().isEmpty()
                ? List.of(map("host", r.allHostnames()))
                : List.of(map("host", r.allHostnames()), previewMatcher(r));
    }

    private static Map<String, Object> previewMatcher(EdgeRoute r) {
        return map("header_regexp", map("Host", map("name", PREVIEW_MATCH, "pattern", r.previewHostPattern())));
    }

    /**
     * A preview name: the verifier's check (as for any private name, and for a published port
     * too, since only the host knows whether and where the workspace listens on it) answers 2xx
     * with {@code X-Spinup-Upstream}, which becomes this request's upstream. A browser's own
     * header of that name never reaches the check's answer: Caddy takes it from the verifier.
     */
    private static List<Object> preview(EdgeSettings settings, EdgeRoute r) {
        String publicPorts =
                String.join(",", r.publicPorts().stream().map(String::valueOf).toList());
        return guarded(settings, r.workspaceId(), "port", false, "{http.vars." + UPSTREAM_VAR + "}", publicPorts);
    }

    private static Map<String, Object> hostRoute(List<String> hosts, List<Object> handlers) {
        return map("match", List.of(map("host", hosts)), "handle", handlers, "terminal", true);
    }

    private static Map<String, Object> proxy(String dial, Map<String, Object> requestHeaders) {
        Map<String, Object> p = map("handler", "reverse_proxy", "upstreams", List.of(map("dial", dial)));
        if (!requestHeaders.isEmpty()) {
            p.put("headers", map("request", requestHeaders));
        }
        return p;
    }

    /**
     * A workspace's name: Caddy's {@code forward_auth} asks the host's verifier first (a GET with
     * the original URI, host and cookies, and the workspace and target as this config says them,
     * so a client cannot choose them). A 2xx lets the request through to {@code dial} without the
     * session cookie; anything else (the 401 page, or the redirect that trades a one-time URL for
     * a cookie) is the answer. Without a verifier every private name is refused. A public app is
     * proxied without asking: it keeps serving whatever happens to the agent, as every route did
     * before access grants.
     *
     * <p>The IDE's upstream keeps no idle connections: an open connection to it is then a browser
     * using it (the workbench's WebSocket), which the host counts as activity.
     */
    private static List<Object> guarded(
            EdgeSettings settings, String workspaceId, String target, boolean isPublic, String dial) {
        return guarded(settings, workspaceId, target, isPublic, dial, null);
    }

    /** As above; with {@code publicPorts} (a preview name's check) the upstream comes from the verifier. */
    private static List<Object> guarded(
            EdgeSettings settings,
            String workspaceId,
            String target,
            boolean isPublic,
            String dial,
            String publicPorts) {
        Map<String, Object> upstream = proxy(
                dial,
                map("replace", map("Cookie", List.of(map("search_regexp", SESSION_COOKIE_PATTERN, "replace", "")))));
        if (target.equals("ide")) {
            upstream.put("transport", map("protocol", "http", "keep_alive", map("enabled", false)));
        }
        if (isPublic) {
            return List.of(proxy(dial, Map.of()));
        }
        if (settings.authDial().isEmpty()) {
            return List.of(page(
                    401,
                    Pages.refused(
                            "{http.request.host}",
                            "GRANT_MISSING",
                            "This edge has no access verifier, so it opens no private workspace."),
                    Map.of("X-Spinup-Reason", "GRANT_MISSING")));
        }
        Map<String, Object> set = map(
                "X-Forwarded-Method", List.of("{http.request.method}"),
                "X-Forwarded-Uri", List.of("{http.request.uri}"),
                "X-Spinup-Host", List.of("{http.request.host}"),
                "X-Spinup-Workspace", List.of(workspaceId),
                "X-Spinup-Target", List.of(target),
                "X-Spinup-Tls", List.of(settings.tls() == EdgeSettings.Tls.OFF ? "off" : "on"));
        Map<String, Object> passed = map("handler", "vars");
        if (publicPorts != null) {
            set.put("X-Spinup-Public-Ports", List.of(publicPorts));
            passed.put(UPSTREAM_VAR, "{http.reverse_proxy.header.X-Spinup-Upstream}");
        }
        Map<String, Object> check = map(
                "handler",
                "reverse_proxy",
                "upstreams",
                List.of(map("dial", settings.authDial())),
                "rewrite",
                map("method", "GET", "uri", VERIFY_PATH),
                "headers",
                map(
                        "request",
                        map(
                                "set",
                                set,
                                // The check is a plain GET, never a websocket upgrade.
                                "delete",
                                List.of("Connection", "Upgrade"))),
                "handle_response",
                List.of(map(
                        "match", map("status_code", List.of(2)), "routes", List.of(map("handle", List.of(passed))))));
        return List.of(check, upstream);
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
