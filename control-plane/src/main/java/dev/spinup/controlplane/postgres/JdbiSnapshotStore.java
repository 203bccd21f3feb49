package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.core.Snapshot;
import dev.spinup.controlplane.store.SnapshotStore;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** snapshots in PostgreSQL. Checksums are stored as "sha256:&lt;hex&gt;". */
interface JdbiSnapshotStore extends SnapshotStore {
    String COLUMNS = """
            id, workspace_id, object_uri, COALESCE(size_bytes, -1) AS size_bytes,
            substr(checksum, length('sha256:') + 1) AS sha256_hex, tool, kind, base_id, created_at, verified_at,
            purged_at""";

    /**
     * A snapshot {@code s} a restore can download whole: verified and in object storage, and, for a
     * differential, so is the full one it builds on.
     */
    String RESTORABLE = """
             s.verified_at IS NOT NULL AND s.purged_at IS NULL
              AND (s.base_id IS NULL OR EXISTS (SELECT 1 FROM snapshots b
                                                WHERE b.id = s.base_id AND b.workspace_id = s.workspace_id
                                                  AND b.base_id IS NULL AND b.verified_at IS NOT NULL
                                                  AND b.purged_at IS NULL))
            """;

    @Override
    @SqlUpdate("""
            INSERT INTO snapshots (id, workspace_id, object_uri, kind, state, created_at)
            VALUES (:id, :workspaceId, :objectUri, :kind, 'uploading', :now)
            ON CONFLICT (id) DO NOTHING""")
    void begin(UUID id, UUID workspaceId, String objectUri, String kind, Instant now);

    @Override
    @SqlUpdate("""
            UPDATE snapshots SET size_bytes = :s.sizeBytes, checksum = 'sha256:' || :s.sha256Hex, tool = :s.tool,
                base_id = :s.baseId, state = 'uploaded'
            WHERE id = :s.id AND state = 'uploading'""")
    void record(@BindMethods("s") Snapshot s);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM snapshots WHERE id = :id")
    Optional<Snapshot> find(UUID id);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM snapshots s WHERE workspace_id = :workspaceId AND " + RESTORABLE
            + " ORDER BY created_at DESC, id DESC LIMIT 1")
    Optional<Snapshot> latestVerified(UUID workspaceId);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM snapshots s WHERE id = :id AND " + RESTORABLE)
    Optional<Snapshot> restorable(UUID id);

    @Override
    @SqlQuery("SELECT " + COLUMNS + """
             FROM snapshots WHERE workspace_id = :workspaceId AND kind = 'periodic' AND purged_at IS NULL
              AND state = 'uploaded'
            ORDER BY created_at DESC, id DESC""")
    List<Snapshot> periodic(UUID workspaceId);

    @Override
    @SqlQuery("SELECT " + COLUMNS + """
             FROM snapshots WHERE workspace_id = :workspaceId AND purged_at IS NULL AND state = 'uploaded'
              AND (CAST(:beforeId AS uuid) IS NULL OR id < :beforeId)
            ORDER BY id DESC LIMIT :limit""")
    List<Snapshot> listed(UUID workspaceId, UUID beforeId, int limit);

    @Override
    @SqlUpdate("UPDATE snapshots SET verified_at = :now WHERE id = :id AND verified_at IS NULL")
    void markVerified(UUID id, Instant now);

    @Override
    @SqlUpdate("UPDATE snapshots SET purged_at = :now WHERE id = :id AND purged_at IS NULL")
    void markPurged(UUID id, Instant now);

    @Override
    @SqlUpdate("UPDATE snapshots SET purged_at = :now WHERE workspace_id = :workspaceId AND purged_at IS NULL")
    void markAllPurged(UUID workspaceId, Instant now);

    @Override
    default Set<String> referenced(Collection<String> uris) {
        return Set.copyOf(referenced(uris.toArray(String[]::new)));
    }

    @SqlQuery("""
            SELECT s.object_uri FROM snapshots s
            WHERE s.object_uri = ANY(:uris) AND s.purged_at IS NULL
              AND (s.state = 'uploaded' OR EXISTS (
                    SELECT 1 FROM operations o WHERE o.workspace_id = s.workspace_id
                      AND o.status IN ('pending', 'running') AND o.params ->> 'snapshot_id' = s.id::text))""")
    List<String> referenced(String[] uris);

    @Override
    default void markPurgedByUri(Collection<String> uris, Instant now) {
        markPurgedByUri(uris.toArray(String[]::new), now);
    }

    @SqlUpdate("UPDATE snapshots SET purged_at = :now WHERE object_uri = ANY(:uris) AND purged_at IS NULL")
    void markPurgedByUri(String[] uris, Instant now);
}
