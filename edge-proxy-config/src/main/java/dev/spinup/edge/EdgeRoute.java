package dev.spinup.edge;

import java.util.List;
import java.util.Objects;

/**
 * One workspace as this host's edge answers for it.
 *
 * @param hostnames   every name the workspace is reached by (its own name under the edge domain,
 *                    then its custom domains); requests for them are routed here
 * @param displayName shown on the pages
 * @param upstream    PROXY: the workspace app's address; FORWARD: the edge of the host it moved
 *                    to ({@code host:port}, an {@code http://} prefix is allowed); otherwise empty
 * @param ideHostname the IDE's name, empty if it has none; shows the same page or is forwarded
 *                    like the app's names
 * @param ideUpstream PROXY: where the IDE answers; empty when this host runs none
 * @param appPublic   PROXY: the app's names are served without an access grant (the IDE never is)
 * @param publicPorts PROXY: the preview ports served without an access grant; every other port
 *                    the workspace listens on is previewed privately at {@code <id>--<port>.<domain>}
 *                    (the domain of its IDE's name)
 */
public record EdgeRoute(
        String workspaceId,
        String displayName,
        List<String> hostnames,
        Mode mode,
        String upstream,
        String ideHostname,
        String ideUpstream,
        boolean appPublic,
        List<Integer> publicPorts) {
    public enum Mode {
        /** active: reverse proxy to the workspace (websockets included) */
        PROXY,
        /** suspended: the suspended page, 503 with Retry-After */
        SUSPENDED,
        /** archived: the archived page, 503 */
        ARCHIVED,
        /** restored onto another host: this (its home) host forwards there, Host header kept */
        FORWARD,
        /** deleted: the 404 tombstone */
        TOMBSTONE
    }

    /** A private app without an IDE. */
    public EdgeRoute(String workspaceId, String displayName, List<String> hostnames, Mode mode, String upstream) {
        this(workspaceId, displayName, hostnames, mode, upstream, "", "", false, List.of());
    }

    /** A route with an IDE and no published preview ports. */
    public EdgeRoute(
            String workspaceId,
            String displayName,
            List<String> hostnames,
            Mode mode,
            String upstream,
            String ideHostname,
            String ideUpstream,
            boolean appPublic) {
        this(workspaceId, displayName, hostnames, mode, upstream, ideHostname, ideUpstream, appPublic, List.of());
    }

    /** The same route without a proxied IDE (its name then shows the unknown page). */
    public EdgeRoute withoutIdeUpstream() {
        return new EdgeRoute(
                workspaceId, displayName, hostnames, mode, upstream, ideHostname, "", appPublic, publicPorts);
    }

    /** The same route with another mode (and no upstreams, unless the new mode dials one). */
    public EdgeRoute withMode(Mode newMode) {
        boolean dials = newMode == Mode.PROXY || newMode == Mode.FORWARD;
        return new EdgeRoute(
                workspaceId,
                displayName,
                hostnames,
                newMode,
                dials ? upstream : "",
                ideHostname,
                newMode == Mode.PROXY ? ideUpstream : "",
                appPublic,
                publicPorts);
    }

    /**
     * The RE2 pattern (for Caddy's {@code header_regexp} on Host) of the workspace's preview names,
     * {@code <id>--<port>.<domain>} with an optional {@code :port} of the edge, the preview's port
     * as group 1; "" when the route names no IDE (and so no domain to preview under).
     */
    public String previewHostPattern() {
        if (ideHostname.isEmpty()) {
            return "";
        }
        String domain = ideHostname.substring(ideHostname.indexOf('.') + 1);
        return "(?i)^" + quote(workspaceId) + "--([0-9]{1,5})\\." + quote(domain) + "(:[0-9]+)?$";
    }

    /** The preview port a name of this route asks for (see {@link #previewHostPattern}), or -1. */
    public static int previewPort(String host) {
        int dot = host.indexOf('.');
        String label = dot < 0 ? host : host.substring(0, dot);
        int dashes = label.lastIndexOf("--");
        if (dashes < 0 || label.length() - dashes - 2 > 5) {
            return -1;
        }
        try {
            int port = Integer.parseInt(label.substring(dashes + 2));
            return port >= 1 && port <= 65535 ? port : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String quote(String literal) {
        return literal.replaceAll("([\\\\.^$|?*+()\\[\\]{}])", "\\\\$1");
    }

    /** Every name this route answers for: the app's, then the IDE's. */
    public List<String> allHostnames() {
        if (ideHostname.isEmpty()) {
            return hostnames;
        }
        List<String> all = new java.util.ArrayList<>(hostnames);
        all.add(ideHostname);
        return List.copyOf(all);
    }

    public EdgeRoute {
        Objects.requireNonNull(workspaceId, "workspaceId");
        Objects.requireNonNull(mode, "mode");
        displayName = displayName == null ? "" : displayName;
        hostnames = hostnames.stream()
                .map(h -> h.toLowerCase(java.util.Locale.ROOT))
                .distinct()
                .sorted()
                .toList();
        upstream = upstream == null ? "" : upstream;
        ideHostname = ideHostname == null ? "" : ideHostname.toLowerCase(java.util.Locale.ROOT);
        ideUpstream = ideUpstream == null ? "" : ideUpstream;
        publicPorts = publicPorts == null
                ? List.of()
                : publicPorts.stream().distinct().sorted().toList();
        if (hostnames.isEmpty()) {
            throw new IllegalArgumentException("workspace " + workspaceId + " has no hostname to route");
        }
        if ((mode == Mode.PROXY || mode == Mode.FORWARD) && upstream.isEmpty()) {
            throw new IllegalArgumentException("workspace " + workspaceId + ": " + mode + " needs an upstream");
        }
    }

    /** The upstream as Caddy dials it: host:port. */
    public String dial() {
        return dial(upstream);
    }

    /** The IDE's upstream as Caddy dials it: host:port, empty if none. */
    public String ideDial() {
        return dial(ideUpstream);
    }

    /** {@code host:port} of an address given as {@code host:port} or a URL. */
    public static String dial(String address) {
        String u = address.replaceFirst("^[a-z]+://", "");
        return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
    }
}
