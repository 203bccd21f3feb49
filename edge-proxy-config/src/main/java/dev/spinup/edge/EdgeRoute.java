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
 */
public record EdgeRoute(String workspaceId, String displayName, List<String> hostnames, Mode mode, String upstream) {
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

    /** The same route with another mode (and no upstream, unless the new mode dials one). */
    public EdgeRoute withMode(Mode newMode) {
        return new EdgeRoute(
                workspaceId,
                displayName,
                hostnames,
                newMode,
                newMode == Mode.PROXY || newMode == Mode.FORWARD ? upstream : "");
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
        if (hostnames.isEmpty()) {
            throw new IllegalArgumentException("workspace " + workspaceId + " has no hostname to route");
        }
        if ((mode == Mode.PROXY || mode == Mode.FORWARD) && upstream.isEmpty()) {
            throw new IllegalArgumentException("workspace " + workspaceId + ": " + mode + " needs an upstream");
        }
    }

    /** The upstream as Caddy dials it: host:port. */
    public String dial() {
        String u = upstream.replaceFirst("^[a-z]+://", "");
        return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
    }
}
