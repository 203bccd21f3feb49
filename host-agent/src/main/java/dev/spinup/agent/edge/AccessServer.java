package dev.spinup.agent.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.spinup.edge.CaddyConfig;
import dev.spinup.edge.Pages;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of the {@link AccessVerifier}, on loopback only, for Caddy's {@code forward_auth}
 * checks ({@link CaddyConfig#VERIFY_PATH}): 200 lets the request through, 302 trades a grant for
 * a session cookie, 401 is the "this workspace is private" page with the reason in
 * {@code X-Spinup-Reason}. It trusts the X-Spinup-* headers because only Caddy reaches it, and
 * Caddy sets them from its config, overwriting whatever a browser sent.
 */
public final class AccessServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccessServer.class);
    /** The refusal of a preview name whose port nothing listens on (an ErrorReason). */
    static final String PORT_NOT_LISTENING = "PORT_NOT_LISTENING";

    private final AccessVerifier verifier;
    private final Activity activity;
    private final PreviewPorts previews;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();

    /**
     * @param previews what the workspaces here listen on: a preview name's check answers where its
     *                 port is reached ({@code X-Spinup-Upstream}), or that nothing listens there
     * @param listen   {@code host:port} to bind, port 0 for any free one
     */
    public AccessServer(AccessVerifier verifier, Activity activity, PreviewPorts previews, String listen) {
        this.verifier = verifier;
        this.activity = activity;
        this.previews = previews;
        String host = listen.substring(0, listen.lastIndexOf(':'));
        int port = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for access checks on " + listen, e);
        }
        server.createContext(CaddyConfig.VERIFY_PATH, this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** Where Caddy reaches this server ({@code host:port}). */
    public String dial() {
        return server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    /** How many checks ended how (allowed, redeemed, or a refusal's reason) since the agent started. */
    public Map<String, Long> outcomes() {
        Map<String, Long> counts = new java.util.TreeMap<>();
        outcomes.forEach((k, v) -> counts.put(k, v.sum()));
        return counts;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            var h = exchange.getRequestHeaders();
            String workspace = h.getFirst("X-Spinup-Workspace");
            String target = h.getFirst("X-Spinup-Target");
            String host = h.getFirst("X-Spinup-Host");
            String uri = h.getFirst("X-Forwarded-Uri");
            if (workspace == null || target == null || host == null || uri == null) {
                respond(
                        exchange,
                        workspace,
                        target,
                        host == null ? "" : host,
                        new AccessVerifier.Decision.Refuse(
                                "GRANT_MISSING", "This check did not come from the edge's configuration."),
                        null);
                return;
            }
            AccessVerifier.Decision d;
            String upstream = null;
            try {
                // A preview name: its grant and session are for that port alone, and a published
                // port needs neither. Either way it must be listening, here, now.
                boolean preview = target.equals("port");
                int port = preview ? dev.spinup.edge.EdgeRoute.previewPort(host) : -1;
                if (preview) {
                    target = "port:" + port;
                }
                d = preview && publicPorts(h.getFirst("X-Spinup-Public-Ports")).contains(port)
                        ? new AccessVerifier.Decision.Allow()
                        : verifier.check(
                                workspace,
                                target,
                                host,
                                uri,
                                h.getFirst("Cookie"),
                                "on".equals(h.getFirst("X-Spinup-Tls")));
                if (preview && d instanceof AccessVerifier.Decision.Allow) {
                    upstream = port < 0 ? null : previews.dial(workspace, port);
                    if (upstream == null) {
                        d = new AccessVerifier.Decision.Refuse(
                                PORT_NOT_LISTENING, "Nothing in this workspace listens on port " + port + ".");
                    }
                }
            } catch (RuntimeException e) {
                log.atWarn()
                        .setMessage("access_check_failed")
                        .addKeyValue("workspace", workspace)
                        .addKeyValue("target", target)
                        .addKeyValue("error", e.getMessage())
                        .log();
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                exchange.sendResponseHeaders(503, -1);
                count("error");
                return;
            }
            respond(exchange, workspace, target, host, d, upstream);
        }
    }

    /** The ports the route publishes, as Caddy's config lists them ("3000,5173"; empty: none). */
    private static java.util.Set<Integer> publicPorts(String header) {
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        if (header != null) {
            for (String p : header.split(",")) {
                if (!p.isBlank()) {
                    ports.add(Integer.parseInt(p.trim()));
                }
            }
        }
        return ports;
    }

    /** Answers Caddy, and counts, logs and records as use what was decided. */
    private void respond(
            HttpExchange exchange,
            String workspace,
            String target,
            String host,
            AccessVerifier.Decision d,
            String upstream)
            throws IOException {
        var out = exchange.getResponseHeaders();
        out.set("Cache-Control", "no-store");
        switch (d) {
            case AccessVerifier.Decision.Allow a -> {
                count("allowed");
                activity.touch(workspace);
                if (upstream != null) {
                    out.set("X-Spinup-Upstream", upstream);
                }
                exchange.sendResponseHeaders(200, -1);
            }
            case AccessVerifier.Decision.Redirect r -> {
                count("redeemed");
                log.atInfo()
                        .setMessage("access_granted")
                        .addKeyValue("workspace", workspace)
                        .addKeyValue("target", target)
                        .addKeyValue("grant", r.grantId())
                        .log();
                activity.touch(workspace);
                out.set("Location", r.location());
                out.set("Set-Cookie", r.setCookie());
                exchange.sendResponseHeaders(302, -1);
            }
            case AccessVerifier.Decision.Refuse r -> {
                count(r.reason());
                log.atInfo()
                        .setMessage("access_refused")
                        .addKeyValue("workspace", workspace)
                        .addKeyValue("target", target)
                        .addKeyValue("reason", r.reason())
                        .log();
                // a closed preview port is not a question of access: the edge could not reach it
                boolean closed = r.reason().equals(PORT_NOT_LISTENING);
                byte[] page = (closed
                                ? Pages.portClosed(host, dev.spinup.edge.EdgeRoute.previewPort(host), r.reason())
                                : Pages.refused(host, r.reason(), r.message()))
                        .getBytes(StandardCharsets.UTF_8);
                out.set("Content-Type", "text/html; charset=utf-8");
                out.set("X-Spinup-Reason", r.reason());
                exchange.sendResponseHeaders(closed ? 502 : 401, page.length);
                try (OutputStream body = exchange.getResponseBody()) {
                    body.write(page);
                }
            }
        }
    }

    private void count(String outcome) {
        outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
