package dev.spinup.controlplane.agents;

import com.google.protobuf.ByteString;
import dev.spinup.api.v1.AccessKey;
import dev.spinup.api.v1.ApplyEdgeRoutes;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.EdgeRoute;
import dev.spinup.api.v1.EdgeRouteMode;
import dev.spinup.controlplane.core.EdgeMode;
import dev.spinup.controlplane.fleet.AccessKeys;
import dev.spinup.controlplane.store.EdgeStore;
import dev.spinup.controlplane.store.Tx;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The whole routing table of one host's edge proxy, derived from committed state at the moment it
 * is sent ({@link #render}), under a per-host generation taken in order. A transition does not
 * build the table: its routes step records how its workspace is to be routed (the workspace's edge
 * mode) and enqueues an empty ApplyEdgeRoutes, which the sender fills in. So the table a host runs
 * always holds every committed change, and two transitions on one host cannot leave either one stale.
 */
public final class EdgeRoutes implements CommandRenderer.Part {
    private final String workspaceDomain;

    /** @param workspaceDomain the IDE of workspace {@code w} is named {@code w--ide.<workspaceDomain>} */
    public EdgeRoutes(String workspaceDomain) {
        this.workspaceDomain = workspaceDomain;
    }

    /** The IDE's name of a workspace: one DNS label under the workspace domain, like its own. */
    public static String ideHostname(UUID workspaceId, String workspaceDomain) {
        return workspaceId + "--ide." + workspaceDomain;
    }

    /** The name port {@code port} of a workspace is previewed at: one DNS label, like its own. */
    public static String previewHostname(UUID workspaceId, int port, String workspaceDomain) {
        return workspaceId + "--" + port + "." + workspaceDomain;
    }

    /** An ApplyEdgeRoutes as a step enqueues it: its table is filled in when it is sent. */
    public static ApplyEdgeRoutes toBeRendered() {
        return ApplyEdgeRoutes.getDefaultInstance();
    }

    @Override
    public Command render(Tx tx, UUID hostId, Command stored, Instant now) {
        long generation = tx.edge().nextGeneration(hostId, now.toEpochMilli());
        return stored.toBuilder()
                .setApplyEdgeRoutes(forHost(tx.edge().routes(hostId), generation, workspaceDomain).toBuilder()
                        .addAllAccessKeys(AccessKeys.published(tx, now).stream()
                                .map(k -> AccessKey.newBuilder()
                                        .setKeyId(k.keyId())
                                        .setPublicKey(ByteString.copyFrom(k.publicKey()))
                                        .build())
                                .toList()))
                .build();
    }

    /**
     * The host's table: every workspace placed on it, routed as its transition says or else as its
     * state says, and every workspace whose home it is but which now lives on another host:
     * forwarded to that host's edge (the DNS name still points here).
     */
    static ApplyEdgeRoutes forHost(List<EdgeStore.Route> rows, long generation, String workspaceDomain) {
        List<EdgeRoute> routes = rows.stream()
                .map(row -> route(row, workspaceDomain))
                .filter(Objects::nonNull)
                .toList();
        return ApplyEdgeRoutes.newBuilder()
                .setGeneration(generation)
                .addAllRoutes(routes)
                .build();
    }

    private static EdgeRoute route(EdgeStore.Route row, String workspaceDomain) {
        EdgeRoute.Builder route = EdgeRoute.newBuilder()
                .setWorkspaceId(row.workspaceId().toString())
                .setDisplayName(row.displayName())
                .addAllDomains(row.domains())
                .setIdeHostname(ideHostname(row.workspaceId(), workspaceDomain));
        if (!row.here()) {
            // Moved to a host without an edge proxy (or archived off any host): nothing to forward to.
            return row.elsewhereEdge() == null || row.elsewhereEdge().isEmpty()
                    ? null
                    : route.setMode(EdgeRouteMode.EDGE_ROUTE_MODE_FORWARD)
                            .setUpstream(row.elsewhereEdge())
                            .build();
        }
        EdgeMode mode = row.mode() != null ? row.mode() : EdgeMode.of(row.state());
        String endpoint = row.endpoint();
        if (mode == EdgeMode.PROXY && (endpoint == null || endpoint.isEmpty())) {
            // Active but not started yet (a CREATE in flight on this host): "not running right
            // now" until its own routes step brings its endpoint.
            mode = EdgeMode.SUSPENDED_PAGE;
        }
        return route.setMode(toProto(mode))
                .setUpstream(endpoint == null ? "" : endpoint)
                .setIdeUpstream(mode == EdgeMode.PROXY && row.ideEndpoint() != null ? row.ideEndpoint() : "")
                .setAppPublic(row.appPublic())
                .addAllPublicPorts(row.publicPorts())
                .build();
    }

    static EdgeRouteMode toProto(EdgeMode mode) {
        return switch (mode) {
            case PROXY -> EdgeRouteMode.EDGE_ROUTE_MODE_PROXY;
            case SUSPENDED_PAGE -> EdgeRouteMode.EDGE_ROUTE_MODE_SUSPENDED_PAGE;
            case ARCHIVED_PAGE -> EdgeRouteMode.EDGE_ROUTE_MODE_ARCHIVED_PAGE;
            case TOMBSTONE -> EdgeRouteMode.EDGE_ROUTE_MODE_TOMBSTONE;
            case FORWARD -> EdgeRouteMode.EDGE_ROUTE_MODE_FORWARD;
        };
    }
}
