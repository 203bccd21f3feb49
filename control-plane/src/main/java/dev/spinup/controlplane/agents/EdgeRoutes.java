package dev.spinup.controlplane.agents;

import dev.spinup.api.v1.ApplyEdgeRoutes;
import dev.spinup.api.v1.EdgeRoute;
import dev.spinup.api.v1.EdgeRouteMode;
import java.util.Arrays;
import dev.spinup.controlplane.workspaces.WorkspaceState;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/** The whole routing table of one host's edge proxy, derived from the workspaces it answers for. */
public final class EdgeRoutes {
    public static EdgeRouteMode modeOf(WorkspaceState state) {
        return switch (state) {
            case ACTIVE -> EdgeRouteMode.PROXY;
            case SUSPENDED -> EdgeRouteMode.SUSPENDED_PAGE;
            case ARCHIVED -> EdgeRouteMode.ARCHIVED_PAGE;
            case DELETED -> EdgeRouteMode.TOMBSTONE;
        };
    }

    /**
     * The host's table: every workspace placed on it, routed by state (or as {@code overrides} say
     * for the ones in transition), and every workspace whose home it is but which now lives on
     * another host: forwarded to that host's edge (the DNS name still points here).
     *
     * @param overrides routing for workspaces whose transition is under way, by workspace id
     */
    public ApplyEdgeRoutes forHost(Handle h, UUID hostId, long generation, Map<UUID, EdgeRouteMode> overrides) {
        List<EdgeRoute> routes = h.createQuery("""
                        SELECT w.id, w.display_name, w.state, w.endpoint, w.host_id = :host AS here,
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
                    EdgeRouteMode mode = overrides.getOrDefault(id, modeOf(WorkspaceState.fromWire(rs.getString("state"))));
                    String endpoint = rs.getString("endpoint");
                    if (mode == EdgeRouteMode.PROXY && (endpoint == null || endpoint.isEmpty())) {
                        // Active but not started yet (a CREATE in flight on this host): "not running
                        // right now" until its own routes step brings its endpoint.
                        mode = EdgeRouteMode.SUSPENDED_PAGE;
                    }
                    return route.setMode(mode).setUpstream(endpoint == null ? "" : endpoint).build();
                })
                .list().stream().filter(java.util.Objects::nonNull).toList();
        return ApplyEdgeRoutes.newBuilder().setGeneration(generation).addAllRoutes(routes).build();
    }
}
