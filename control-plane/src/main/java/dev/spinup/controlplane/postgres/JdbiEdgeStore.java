package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.store.EdgeStore;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** edge_generations, and the routing rows of workspaces, in PostgreSQL. */
interface JdbiEdgeStore extends EdgeStore {
    @Override
    @SqlQuery("""
            INSERT INTO edge_generations (host_id, generation) VALUES (:hostId, :first)
            ON CONFLICT (host_id) DO UPDATE SET generation = edge_generations.generation + 1
            RETURNING generation""")
    long nextGeneration(UUID hostId, long first);

    @Override
    @SqlQuery("""
            SELECT w.id AS workspace_id, w.display_name, w.state, w.edge_mode AS mode, w.endpoint, w.ide_endpoint,
                   w.app_public,
                   w.host_id = :hostId AS here, elsewhere.edge_address AS elsewhere_edge,
                   COALESCE(array_agg(d.domain ORDER BY d.domain) FILTER (WHERE d.domain IS NOT NULL),
                            '{}') AS domains,
                   w.public_ports
            FROM workspaces w
            LEFT JOIN workspace_domains d ON d.workspace_id = w.id
            LEFT JOIN hosts elsewhere ON elsewhere.id = w.host_id AND w.host_id <> :hostId
            WHERE w.host_id = :hostId OR (w.home_host_id = :hostId AND w.host_id IS DISTINCT FROM :hostId)
            GROUP BY w.id, elsewhere.edge_address ORDER BY w.id""")
    List<Route> routes(UUID hostId);
}
