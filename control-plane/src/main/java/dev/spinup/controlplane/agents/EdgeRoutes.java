package dev.spinup.controlplane.agents;

import dev.spinup.api.v1.ApplyEdgeRoutes;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.EdgeRoute;
import dev.spinup.api.v1.EdgeRouteMode;
import dev.spinup.controlplane.core.WorkspaceState;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * The whole routing table of one host's edge proxy, derived from committed state at the moment it
 * is sent ({@link #render}), under a per-host generation taken in order. A transition does not
 * build the table: its routes step records how its workspace is to be routed ({@link #setMode})
 * and enqueues an empty ApplyEdgeRoutes, which the sender fills in. So the table a host runs always
 * holds every committed change, and two transitions on one host cannot leave either one stale.
 */
public final class EdgeRoutes implements CommandRenderer.Part {
    public static EdgeRouteMode modeOf(WorkspaceState state) {
        return switch (state) {
            case ACTIVE -> EdgeRouteMode.PROXY;
            case SUSPENDED -> EdgeRouteMode.SUSPENDED_PAGE;
            case ARCHIVED -> EdgeRouteMode.ARCHIVED_PAGE;
            case DELETED -> EdgeRouteMode.TOMBSTONE;
        };
    }

    /** How the workspace is routed until its operation ends (then its state says it again). */
    public void setMode(Handle h, UUID workspaceId, EdgeRouteMode mode) {
        h.createUpdate("UPDATE workspaces SET edge_mode = :mode WHERE id = :id")
                .bind("id", workspaceId).bind("mode", mode.name().toLowerCase(Locale.ROOT)).execute();
    }

    /** An ApplyEdgeRoutes as a step enqueues it: its table is filled in when it is sent. */
    public static ApplyEdgeRoutes toBeRendered() {
        return ApplyEdgeRoutes.getDefaultInstance();
    }

    @Override
    public Command render(Handle h, UUID hostId, Command stored, Instant now) {
        return stored.toBuilder().setApplyEdgeRoutes(forHost(h, hostId, nextGeneration(h, hostId, now))).build();
    }

    /**
     * The host's next generation. The upsert holds the host's row until this transaction ends, so
     * generations are handed out in the order their tables are read: a higher one never carries
     * older state.
     */
    private static long nextGeneration(Handle h, UUID hostId, Instant now) {
        return h.createQuery("""
                        INSERT INTO edge_generations (host_id, generation) VALUES (:host, :first)
                        ON CONFLICT (host_id) DO UPDATE SET generation = edge_generations.generation + 1
                        RETURNING generation""")
                .bind("host", hostId).bind("first", now.toEpochMilli()).mapTo(Long.class).one();
    }

    /**
     * The host's table: every workspace placed on it, routed as its transition says or else as its
     * state says, and every workspace whose home it is but which now lives on another host:
     * forwarded to that host's edge (the DNS name still points here).
     */
    ApplyEdgeRoutes forHost(Handle h, UUID hostId, long generation) {
        List<EdgeRoute> routes = h.createQuery("""
                        SELECT w.id, w.display_name, w.state, w.edge_mode, w.endpoint, w.host_id = :host AS here,
                               elsewhere.edge_address,
                               COALESCE(array_agg(d.domain ORDER BY d.domain) FILTER (WHERE d.domain IS NOT NULL),
                                        '{}') AS domains
                        FROM workspaces w
                        LEFT JOIN workspace_domains d ON d.workspace_id = w.id
                        LEFT JOIN hosts elsewhere ON elsewhere.id = w.host_id AND w.host_id <> :host
                        WHERE w.host_id = :host OR (w.home_host_id = :host AND w.host_id IS DISTINCT FROM :host)
                        GROUP BY w.id, elsewhere.edge_address ORDER BY w.id""")
                .bind("host", hostId)
                .map((rs, ctx) -> {
                    UUID id = rs.getObject("id", UUID.class);
                    EdgeRoute.Builder route = EdgeRoute.newBuilder()
                            .setWorkspaceId(id.toString())
                            .setDisplayName(rs.getString("display_name"))
                            .addAllDomains(Arrays.asList((String[]) rs.getArray("domains").getArray()));
                    if (!rs.getBoolean("here")) {
                        String edge = rs.getString("edge_address");
                        // Moved to a host without an edge proxy (or archived off any host): nothing to forward to.
                        return edge == null || edge.isEmpty() ? null
                                : route.setMode(EdgeRouteMode.FORWARD).setUpstream(edge).build();
                    }
                    String override = rs.getString("edge_mode");
                    EdgeRouteMode mode = override != null ? EdgeRouteMode.valueOf(override.toUpperCase(Locale.ROOT))
                            : modeOf(WorkspaceState.fromWire(rs.getString("state")));
                    String endpoint = rs.getString("endpoint");
                    if (mode == EdgeRouteMode.PROXY && (endpoint == null || endpoint.isEmpty())) {
                        // Active but not started yet (a CREATE in flight on this host): "not running
                        // right now" until its own routes step brings its endpoint.
                        mode = EdgeRouteMode.SUSPENDED_PAGE;
                    }
                    return route.setMode(mode).setUpstream(endpoint == null ? "" : endpoint).build();
                })
                .list().stream().filter(Objects::nonNull).toList();
        return ApplyEdgeRoutes.newBuilder().setGeneration(generation).addAllRoutes(routes).build();
    }
}
