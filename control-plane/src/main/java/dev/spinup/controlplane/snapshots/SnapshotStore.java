package dev.spinup.controlplane.snapshots;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * snapshots table. Checksums are stored as "sha256:<hex>". A row exists before its upload starts
 * ({@link #begin}, state uploading) and is completed by the agent's result ({@link #record}).
 */
public final class SnapshotStore {
    /**
     * {@code baseId} is set on a differential snapshot: restoring it needs that full one first.
     * {@code sizeBytes} is -1, and {@code sha256Hex} and {@code tool} null, while it uploads.
     */
    public record Snapshot(UUID id, UUID workspaceId, String objectUri, long sizeBytes, String sha256Hex, String tool,
                           String kind, UUID baseId, Instant createdAt, Instant verifiedAt, Instant purgedAt) {
        public boolean uploaded() {
            return sha256Hex != null;
        }
    }

    /** Records that snapshot {@code id} is about to be uploaded to {@code objectUri}; a second call keeps the first. */
    public void begin(Handle h, UUID id, UUID workspaceId, String objectUri, String kind, Instant now) {
        h.createUpdate("""
                        INSERT INTO snapshots (id, workspace_id, object_uri, kind, state, created_at)
                        VALUES (:id, :ws, :uri, :kind, 'uploading', :now)
                        ON CONFLICT (id) DO NOTHING""")
                .bind("id", id).bind("ws", workspaceId).bind("uri", objectUri).bind("kind", kind)
                .bind("now", Timestamp.from(now)).execute();
    }

    /** Completes a snapshot the host has uploaded (size, checksum, tool, base); recording it twice keeps the first. */
    public void record(Handle h, Snapshot s) {
        h.createUpdate("""
                        UPDATE snapshots SET size_bytes = :size, checksum = :checksum, tool = :tool, base_id = :base,
                            state = 'uploaded'
                        WHERE id = :id AND state = 'uploading'""")
                .bind("id", s.id()).bind("size", s.sizeBytes()).bind("checksum", "sha256:" + s.sha256Hex())
                .bind("tool", s.tool()).bind("base", s.baseId())
                .execute();
    }

    public Optional<Snapshot> find(Handle h, UUID id) {
        return h.createQuery("SELECT * FROM snapshots WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> map(rs)).findOne();
    }

    /** The newest verified full snapshot: what a restore downloads. */
    public Optional<Snapshot> latestVerified(Handle h, UUID workspaceId) {
        return h.createQuery("""
                        SELECT * FROM snapshots WHERE workspace_id = :ws AND verified_at IS NOT NULL AND purged_at IS NULL
                          AND base_id IS NULL
                        ORDER BY created_at DESC, id DESC LIMIT 1""")
                .bind("ws", workspaceId).map((rs, ctx) -> map(rs)).findOne();
    }

    /** Periodic snapshots uploaded and still in object storage, newest first. */
    public List<Snapshot> periodic(Handle h, UUID workspaceId) {
        return h.createQuery("""
                        SELECT * FROM snapshots WHERE workspace_id = :ws AND kind = 'periodic' AND purged_at IS NULL
                          AND state = 'uploaded'
                        ORDER BY created_at DESC, id DESC""")
                .bind("ws", workspaceId).map((rs, ctx) -> map(rs)).list();
    }

    /** Every snapshot of the workspace still in (or possibly in) object storage. */
    public List<Snapshot> unpurged(Handle h, UUID workspaceId) {
        return h.createQuery("SELECT * FROM snapshots WHERE workspace_id = :ws AND purged_at IS NULL ORDER BY id")
                .bind("ws", workspaceId).map((rs, ctx) -> map(rs)).list();
    }

    public void markVerified(Handle h, UUID id, Instant now) {
        h.createUpdate("UPDATE snapshots SET verified_at = :now WHERE id = :id AND verified_at IS NULL")
                .bind("id", id).bind("now", Timestamp.from(now)).execute();
    }

    public void markPurged(Handle h, UUID id, Instant now) {
        h.createUpdate("UPDATE snapshots SET purged_at = :now WHERE id = :id AND purged_at IS NULL")
                .bind("id", id).bind("now", Timestamp.from(now)).execute();
    }

    public void markAllPurged(Handle h, UUID workspaceId, Instant now) {
        h.createUpdate("UPDATE snapshots SET purged_at = :now WHERE workspace_id = :ws AND purged_at IS NULL")
                .bind("ws", workspaceId).bind("now", Timestamp.from(now)).execute();
    }

    /**
     * Which of {@code uris} a snapshot still stands for: not purged, and either uploaded or still
     * uploading under an operation in flight. An object no such row names is an orphan.
     */
    public Set<String> referenced(Handle h, Collection<String> uris) {
        return Set.copyOf(h.createQuery("""
                        SELECT s.object_uri FROM snapshots s
                        WHERE s.object_uri = ANY(:uris) AND s.purged_at IS NULL
                          AND (s.state = 'uploaded' OR EXISTS (
                                SELECT 1 FROM operations o WHERE o.workspace_id = s.workspace_id
                                  AND o.status IN ('pending', 'running') AND o.params ->> 'snapshot_id' = s.id::text))""")
                .bindArray("uris", String.class, List.copyOf(uris))
                .mapTo(String.class).list());
    }

    /** Rows of objects the sweep deleted: their uploads never completed. */
    public void markPurgedByUri(Handle h, Collection<String> uris, Instant now) {
        h.createUpdate("UPDATE snapshots SET purged_at = :now WHERE object_uri = ANY(:uris) AND purged_at IS NULL")
                .bindArray("uris", String.class, List.copyOf(uris)).bind("now", Timestamp.from(now)).execute();
    }

    private static Snapshot map(java.sql.ResultSet rs) throws java.sql.SQLException {
        Timestamp verified = rs.getTimestamp("verified_at");
        Timestamp purged = rs.getTimestamp("purged_at");
        String checksum = rs.getString("checksum");
        Long size = rs.getObject("size_bytes", Long.class);
        return new Snapshot(rs.getObject("id", UUID.class), rs.getObject("workspace_id", UUID.class),
                rs.getString("object_uri"), size == null ? -1 : size,
                checksum == null ? null : checksum.substring("sha256:".length()), rs.getString("tool"),
                rs.getString("kind"), rs.getObject("base_id", UUID.class), rs.getTimestamp("created_at").toInstant(),
                verified == null ? null : verified.toInstant(), purged == null ? null : purged.toInstant());
    }
}
