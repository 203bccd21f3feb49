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

    /** @param overrides routing for workspaces whose transition is under way, by workspace id */
    public ApplyEdgeRoutes forHost(Handle h, UUID hostId, long generation, Map<UUID, EdgeRouteMode> overrides) {
        List<EdgeRoute> routes = h.createQuery("""
                        SELECT w.id, w.display_name, w.state, w.endpoint,
                               COALESCE(array_agg(d.domain ORDER BY d.domain) FILTER (WHERE d.domain IS NOT NULL),
                                        '{}') AS domains
                        FROM workspaces w LEFT JOIN workspace_domains d ON d.workspace_id = w.id
                        WHERE w.host_id = :host
                        GROUP BY w.id ORDER BY w.id""")
                .bind("host", hostId)
                .map((rs, ctx) -> {
                    UUID id = rs.getObject("id", UUID.class);
                    EdgeRouteMode mode = overrides.getOrDefault(id, modeOf(WorkspaceState.fromWire(rs.getString("state"))));
                    String endpoint = rs.getString("endpoint");
                    return EdgeRoute.newBuilder()
                            .setWorkspaceId(id.toString())
                            .setDisplayName(rs.getString("display_name"))
                            .addAllDomains(Arrays.asList((String[]) rs.getArray("domains").getArray()))
                            .setMode(mode)
                            .setUpstream(endpoint == null ? "" : endpoint)
                            .build();
                })
                .list();
        return ApplyEdgeRoutes.newBuilder().setGeneration(generation).addAllRoutes(routes).build();
    }
}
