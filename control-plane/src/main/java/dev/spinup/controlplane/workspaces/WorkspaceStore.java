package dev.spinup.controlplane.workspaces;

import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.db.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/** workspaces table. Every method runs on the caller's handle, inside the caller's transaction. */
public final class WorkspaceStore {
    private static final String COLUMNS = """
            id, external_workspace_id, external_user_id, display_name, region_id, host_id, flavor,
            vcpu, ram_gb, disk_gb, state, current_operation_id, template, labels::text AS labels, endpoint,
            snapshot_interval_seconds, snapshot_retention_count, created_at, updated_at""";

    public void insert(Handle h, Workspace w) {
        h.createUpdate("""
                        INSERT INTO workspaces (id, external_workspace_id, external_user_id, display_name, region_id,
                            host_id, home_host_id, flavor, vcpu, ram_gb, disk_gb, state, current_operation_id, template,
                            labels, snapshot_interval_seconds, snapshot_retention_count, created_at, updated_at)
                        VALUES (:id, :extWs, :extUser, :name, :region, :host, :host, :flavor, :vcpu, :ram, :disk,
                            :state, :op, :template, CAST(:labels AS jsonb), :interval, :retention, :now, :now)""")
                .bind("id", w.id())
                .bind("extWs", w.externalWorkspaceId())
                .bind("extUser", w.externalUserId())
                .bind("name", w.displayName())
                .bind("region", w.regionId())
                .bind("host", w.hostId())
                .bind("flavor", w.flavor().wire())
                .bind("vcpu", w.envelope().vcpu())
                .bind("ram", w.envelope().ramGb())
                .bind("disk", w.envelope().diskGb())
                .bind("state", w.state().wire())
                .bind("op", w.currentOperationId())
                .bind("template", w.template().wire())
                .bind("labels", Json.write(w.labels()))
                .bind("interval", w.snapshotIntervalSeconds())
                .bind("retention", w.snapshotRetentionCount())
                .bind("now", Timestamp.from(w.createdAt()))
                .execute();
    }

    public Optional<Workspace> find(Handle h, UUID id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM workspaces WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> map(rs))
                .findOne();
    }

    public Optional<Workspace> findForUpdate(Handle h, UUID id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM workspaces WHERE id = :id FOR UPDATE")
                .bind("id", id)
                .map((rs, ctx) -> map(rs))
                .findOne();
    }

    /** A page in id order (ids are time-ordered), after {@code afterId} when given. */
    public List<Workspace> list(Handle h, WorkspaceFilter filter, UUID afterId, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM workspaces WHERE true");
        if (afterId != null) {
            sql.append(" AND id > :after");
        }
        if (filter.state() != null) {
            sql.append(" AND state = :state");
        } else {
            sql.append(" AND state <> 'deleted'");
        }
        if (filter.regionId() != null) {
            sql.append(" AND region_id = :region");
        }
        if (filter.externalUserId() != null) {
            sql.append(" AND external_user_id = :extUser");
        }
        sql.append(" ORDER BY id LIMIT :limit");
        Query q = h.createQuery(sql.toString()).bind("limit", limit);
        if (afterId != null) {
            q.bind("after", afterId);
        }
        if (filter.state() != null) {
            q.bind("state", filter.state().wire());
        }
        if (filter.regionId() != null) {
            q.bind("region", filter.regionId());
        }
        if (filter.externalUserId() != null) {
            q.bind("extUser", filter.externalUserId());
        }
        return q.map((rs, ctx) -> map(rs)).list();
    }

    public void setEndpoint(Handle h, UUID id, String endpoint, Instant now) {
        h.createUpdate("UPDATE workspaces SET endpoint = :endpoint, updated_at = :now WHERE id = :id")
                .bind("id", id).bind("endpoint", endpoint).bind("now", Timestamp.from(now)).execute();
    }

    public void setEnvelope(Handle h, UUID id, Flavor flavor, Envelope envelope, Instant now) {
        h.createUpdate("""
                        UPDATE workspaces SET flavor = :flavor, vcpu = :vcpu, ram_gb = :ram, disk_gb = :disk,
                            updated_at = :now
                        WHERE id = :id""")
                .bind("id", id).bind("flavor", flavor.wire()).bind("vcpu", envelope.vcpu())
                .bind("ram", envelope.ramGb()).bind("disk", envelope.diskGb()).bind("now", Timestamp.from(now))
                .execute();
    }

    /** Places the workspace on {@code hostId} in {@code state} (a restore's reservation). */
    public void moveTo(Handle h, UUID id, UUID hostId, WorkspaceState state, Instant now) {
        h.createUpdate("UPDATE workspaces SET host_id = :host, state = :state, endpoint = NULL, updated_at = :now WHERE id = :id")
                .bind("id", id).bind("host", hostId).bind("state", state.wire()).bind("now", Timestamp.from(now))
                .execute();
    }

    /** Puts the workspace back on {@code hostId}, keeping its state. */
    public void moveTo(Handle h, UUID id, UUID hostId, Instant now) {
        h.createUpdate("UPDATE workspaces SET host_id = :host, endpoint = NULL, updated_at = :now WHERE id = :id")
                .bind("id", id).bind("host", hostId).bind("now", Timestamp.from(now)).execute();
    }

    /** Marks the workspace busy with {@code operationId}; only succeeds when it is not busy. */
    public boolean startOperation(Handle h, UUID id, UUID operationId, Instant now) {
        return h.createUpdate("""
                        UPDATE workspaces SET current_operation_id = :op, updated_at = :now
                        WHERE id = :id AND current_operation_id IS NULL""")
                .bind("id", id).bind("op", operationId).bind("now", Timestamp.from(now)).execute() == 1;
    }

    /**
     * Ends the in-flight operation {@code operationId} and moves to {@code state}; from now on the
     * edge routes the workspace as its state says (a transition's route is no longer needed).
     */
    public void finishOperation(Handle h, UUID id, UUID operationId, WorkspaceState state, Instant now) {
        h.createUpdate("""
                        UPDATE workspaces SET state = :state, current_operation_id = NULL, edge_mode = NULL,
                            updated_at = :now
                        WHERE id = :id AND current_operation_id = :op""")
                .bind("id", id).bind("op", operationId).bind("state", state.wire()).bind("now", Timestamp.from(now))
                .execute();
    }

    private static Workspace map(ResultSet rs) throws SQLException {
        return new Workspace(
                rs.getObject("id", UUID.class),
                rs.getString("external_workspace_id"),
                rs.getString("external_user_id"),
                rs.getString("display_name"),
                rs.getString("region_id"),
                rs.getObject("host_id", UUID.class),
                Flavor.fromWire(rs.getString("flavor")),
                new Envelope(rs.getInt("vcpu"), rs.getInt("ram_gb"), rs.getInt("disk_gb")),
                WorkspaceState.fromWire(rs.getString("state")),
                rs.getObject("current_operation_id", UUID.class),
                ProjectTemplate.fromWire(rs.getString("template")),
                Json.readStringMap(rs.getString("labels")),
                rs.getString("endpoint"),
                rs.getInt("snapshot_interval_seconds"),
                rs.getInt("snapshot_retention_count"),
                rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant());
    }

    public record WorkspaceFilter(WorkspaceState state, String regionId, String externalUserId) {}
}
