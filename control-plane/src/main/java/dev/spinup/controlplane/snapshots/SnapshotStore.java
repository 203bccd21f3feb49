package dev.spinup.controlplane.snapshots;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/** snapshots table. Checksums are stored as "sha256:<hex>". */
public final class SnapshotStore {
    /** {@code baseId} is set on a differential snapshot: restoring it needs that full one first. */
    public record Snapshot(UUID id, UUID workspaceId, String objectUri, long sizeBytes, String sha256Hex, String tool,
                           String kind, UUID baseId, Instant createdAt, Instant verifiedAt) {}

    /** Records a snapshot the host has uploaded; recording it twice keeps the first. */
    public void record(Handle h, Snapshot s) {
        h.createUpdate("""
                        INSERT INTO snapshots (id, workspace_id, object_uri, size_bytes, checksum, tool, kind, base_id,
                            created_at)
                        VALUES (:id, :ws, :key, :size, :checksum, :tool, :kind, :base, :now)
                        ON CONFLICT (id) DO NOTHING""")
                .bind("id", s.id()).bind("ws", s.workspaceId()).bind("key", s.objectUri())
                .bind("size", s.sizeBytes()).bind("checksum", "sha256:" + s.sha256Hex()).bind("tool", s.tool())
                .bind("kind", s.kind()).bind("base", s.baseId()).bind("now", Timestamp.from(s.createdAt()))
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

    /** Periodic snapshots still in object storage, newest first. */
    public List<Snapshot> periodic(Handle h, UUID workspaceId) {
        return h.createQuery("""
                        SELECT * FROM snapshots WHERE workspace_id = :ws AND kind = 'periodic' AND purged_at IS NULL
                        ORDER BY created_at DESC, id DESC""")
                .bind("ws", workspaceId).map((rs, ctx) -> map(rs)).list();
    }

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

    private static Snapshot map(java.sql.ResultSet rs) throws java.sql.SQLException {
        Timestamp verified = rs.getTimestamp("verified_at");
        String checksum = rs.getString("checksum");
        return new Snapshot(rs.getObject("id", UUID.class), rs.getObject("workspace_id", UUID.class),
                rs.getString("object_uri"), rs.getLong("size_bytes"),
                checksum == null ? null : checksum.substring("sha256:".length()), rs.getString("tool"),
                rs.getString("kind"), rs.getObject("base_id", UUID.class), rs.getTimestamp("created_at").toInstant(),
                verified == null ? null : verified.toInstant());
    }
}
