package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.core.EdgeMode;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.store.WorkspaceStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** workspaces in PostgreSQL. */
@RegisterRowMapper(JdbiWorkspaceStore.WorkspaceMapper.class)
interface JdbiWorkspaceStore extends WorkspaceStore {
    String COLUMNS = """
            id, external_workspace_id, external_user_id, display_name, region_id, host_id, flavor,
            vcpu, ram_gb, disk_gb, state, current_operation_id, template, labels::text AS labels, endpoint,
            snapshot_interval_seconds, snapshot_retention_count, created_at, updated_at, ide_endpoint, app_public,
            last_active_at, preview_ports, public_ports, state_reason""";

    @Override
    default void insert(Workspace w) {
        insert(w, Json.write(w.labels()));
    }

    @SqlUpdate("""
            INSERT INTO workspaces (id, external_workspace_id, external_user_id, display_name, region_id,
                host_id, home_host_id, flavor, vcpu, ram_gb, disk_gb, state, current_operation_id, template,
                labels, snapshot_interval_seconds, snapshot_retention_count, created_at, updated_at)
            VALUES (:w.id, :w.externalWorkspaceId, :w.externalUserId, :w.displayName, :w.regionId, :w.hostId,
                :w.hostId, :w.flavor, :w.envelope.vcpu, :w.envelope.ramGb, :w.envelope.diskGb, :w.state,
                :w.currentOperationId, :w.template, CAST(:labels AS jsonb), :w.snapshotIntervalSeconds,
                :w.snapshotRetentionCount, :w.createdAt, :w.createdAt)""")
    void insert(@BindMethods("w") Workspace w, String labels);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM workspaces WHERE id = :id")
    Optional<Workspace> find(UUID id);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM workspaces WHERE id = :id FOR UPDATE")
    Optional<Workspace> findForUpdate(UUID id);

    @Override
    default List<Workspace> list(WorkspaceFilter filter, UUID afterId, int limit) {
        return list(filter.state(), filter.regionId(), filter.externalUserId(), afterId, limit);
    }

    @SqlQuery("SELECT " + COLUMNS + """
             FROM workspaces
            WHERE (CAST(:afterId AS uuid) IS NULL OR id > :afterId)
              AND (CAST(:state AS text) IS NULL AND state <> 'deleted' OR state = :state)
              AND (CAST(:regionId AS text) IS NULL OR region_id = :regionId)
              AND (CAST(:externalUserId AS text) IS NULL OR external_user_id = :externalUserId)
            ORDER BY id LIMIT :limit""")
    List<Workspace> list(WorkspaceState state, String regionId, String externalUserId, UUID afterId, int limit);

    @Override
    @SqlUpdate("""
            UPDATE workspaces SET endpoint = :endpoint, ide_endpoint = NULLIF(:ideEndpoint, ''), updated_at = :now
            WHERE id = :id""")
    void setEndpoints(UUID id, String endpoint, String ideEndpoint, Instant now);

    @Override
    @SqlUpdate("""
            UPDATE workspaces SET last_active_at = :at
            WHERE id = :id AND host_id = :hostId AND (last_active_at IS NULL OR last_active_at < :at)""")
    void touch(UUID hostId, UUID id, Instant at);

    @Override
    @SqlUpdate("UPDATE workspaces SET app_public = :appPublic, updated_at = :now WHERE id = :id")
    void setAppPublic(UUID id, boolean appPublic, Instant now);

    @Override
    @SqlUpdate("""
            UPDATE workspaces
               SET public_ports = CASE WHEN :isPublic
                                       THEN (SELECT array_agg(DISTINCT p ORDER BY p) FROM unnest(public_ports || :port) p)
                                       ELSE array_remove(public_ports, :port) END,
                   updated_at = :now
             WHERE id = :id""")
    void setPortPublic(UUID id, int port, boolean isPublic, Instant now);

    @Override
    default void reportPreviewPorts(UUID hostId, java.util.Map<UUID, List<Integer>> ports) {
        UUID[] ids = ports.keySet().toArray(UUID[]::new);
        // one text per workspace, '{3000,5173}', in the order of ids: a two-dimensional array
        // would need every row to be as long as the longest
        String[] lists = java.util.Arrays.stream(ids)
                .map(id -> "{"
                        + String.join(
                                ",", ports.get(id).stream().map(String::valueOf).toList()) + "}")
                .toArray(String[]::new);
        reportPreviewPorts(hostId, ids, lists);
    }

    /** The host's report replaces the last: ports it names are set, every other workspace on it has none. */
    @SqlUpdate("""
            UPDATE workspaces w
               SET preview_ports = COALESCE(r.ports, '{}')
              FROM (SELECT w2.id, CAST(r2.ports AS integer[]) AS ports
                      FROM workspaces w2
                      LEFT JOIN unnest(CAST(:ids AS uuid[]), CAST(:lists AS text[])) AS r2(id, ports) ON r2.id = w2.id
                     WHERE w2.host_id = :hostId) r
             WHERE w.id = r.id AND w.host_id = :hostId AND w.preview_ports IS DISTINCT FROM COALESCE(r.ports, '{}')""")
    void reportPreviewPorts(UUID hostId, UUID[] ids, String[] lists);

    @Override
    @SqlUpdate("""
            UPDATE workspaces SET flavor = :flavor, vcpu = :envelope.vcpu, ram_gb = :envelope.ramGb,
                disk_gb = :envelope.diskGb, updated_at = :now
            WHERE id = :id""")
    void setEnvelope(UUID id, Flavor flavor, @BindMethods("envelope") Envelope envelope, Instant now);

    @Override
    @SqlUpdate("UPDATE workspaces SET host_id = :hostId, state = :state, endpoint = NULL, ide_endpoint = NULL,"
            + " preview_ports = '{}', updated_at = :now WHERE id = :id")
    void moveTo(UUID id, UUID hostId, WorkspaceState state, Instant now);

    @Override
    @SqlUpdate("UPDATE workspaces SET host_id = :hostId, endpoint = NULL, ide_endpoint = NULL, preview_ports = '{}',"
            + " updated_at = :now WHERE id = :id")
    void moveTo(UUID id, UUID hostId, Instant now);

    @Override
    @SqlUpdate("UPDATE workspaces SET host_id = :hostId, home_host_id = :hostId, updated_at = :now"
            + " WHERE id = :id AND host_id IS NULL")
    void firstHost(UUID id, UUID hostId, Instant now);

    @Override
    @SqlUpdate("""
            UPDATE workspaces SET current_operation_id = :operationId, updated_at = :now
            WHERE id = :id AND current_operation_id IS NULL""")
    boolean startOperation(UUID id, UUID operationId, Instant now);

    @Override
    @SqlUpdate("""
            UPDATE workspaces SET state = :state, current_operation_id = NULL, edge_mode = NULL, updated_at = :now
            WHERE id = :id AND current_operation_id = :operationId""")
    void finishOperation(UUID id, UUID operationId, WorkspaceState state, Instant now);

    @Override
    @SqlUpdate("UPDATE workspaces SET edge_mode = :mode WHERE id = :id")
    void setEdgeMode(UUID id, EdgeMode mode);

    @Override
    @SqlQuery("SELECT home_host_id FROM workspaces WHERE id = :id AND home_host_id IS NOT NULL")
    Optional<UUID> homeHost(UUID id);

    @Override
    @SqlQuery("SELECT id FROM workspaces WHERE external_workspace_id = :externalWorkspaceId AND state <> 'deleted'")
    Optional<UUID> liveByExternalId(String externalWorkspaceId);

    @Override
    @SqlUpdate("""
            UPDATE workspaces SET external_workspace_id = 'deleted:' || id, external_user_id = 'deleted',
                display_name = 'deleted workspace', labels = '{}'::jsonb, endpoint = NULL, ide_endpoint = NULL
            WHERE id = :id""")
    void pseudonymize(UUID id);

    @Override
    @SqlUpdate("UPDATE workspaces SET home_host_id = :hostId, updated_at = :now WHERE id = :id")
    void moveHome(UUID id, UUID hostId, Instant now);

    @Override
    @SqlUpdate("""
            UPDATE workspaces SET host_id = :to, home_host_id = :to, updated_at = :now
            WHERE id = :id AND host_id = :from AND state = 'archived' AND current_operation_id IS NULL""")
    boolean rehomeArchived(UUID id, UUID from, UUID to, Instant now);

    @Override
    @SqlUpdate("UPDATE workspaces SET state_reason = :reason, updated_at = :now WHERE id = :id")
    void setStateReason(UUID id, String reason, Instant now);

    @Override
    @SqlQuery("""
            SELECT id, state, current_operation_id IS NULL AS idle FROM workspaces
            WHERE host_id = :hostId AND state <> 'deleted'""")
    List<Placed> placedOn(UUID hostId);

    @Override
    @SqlQuery("""
            SELECT w.id FROM workspaces w
            WHERE w.state = 'active' AND w.current_operation_id IS NULL
              AND COALESCE((SELECT max(s.created_at) FROM snapshots s
                            WHERE s.workspace_id = w.id AND s.kind = 'periodic' AND s.state = 'uploaded'), w.created_at)
                  <= CAST(:now AS timestamptz) - make_interval(secs => w.snapshot_interval_seconds)
              AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.workspace_id = w.id
                              AND o.verb = 'snapshot' AND o.status IN ('pending', 'running'))
            ORDER BY w.id LIMIT :limit""")
    List<UUID> dueForPeriodicSnapshot(Instant now, int limit);

    final class WorkspaceMapper implements RowMapper<Workspace> {
        @Override
        public Workspace map(ResultSet rs, StatementContext ctx) throws SQLException {
            return new Workspace(
                    rs.getObject("id", UUID.class),
                    rs.getString("external_workspace_id"),
                    rs.getString("external_user_id"),
                    rs.getString("display_name"),
                    rs.getString("region_id"),
                    rs.getObject("host_id", UUID.class),
                    Rows.get(rs, ctx, "flavor", Flavor.class),
                    new Envelope(rs.getInt("vcpu"), rs.getInt("ram_gb"), rs.getInt("disk_gb")),
                    Rows.get(rs, ctx, "state", WorkspaceState.class),
                    rs.getObject("current_operation_id", UUID.class),
                    Rows.get(rs, ctx, "template", ProjectTemplate.class),
                    Json.readStringMap(rs.getString("labels")),
                    rs.getString("endpoint"),
                    rs.getInt("snapshot_interval_seconds"),
                    rs.getInt("snapshot_retention_count"),
                    Rows.get(rs, ctx, "created_at", Instant.class),
                    Rows.get(rs, ctx, "updated_at", Instant.class),
                    rs.getString("ide_endpoint"),
                    rs.getBoolean("app_public"),
                    Rows.get(rs, ctx, "last_active_at", Instant.class),
                    ports(rs, "preview_ports"),
                    ports(rs, "public_ports"),
                    rs.getString("state_reason"));
        }

        private static List<Integer> ports(ResultSet rs, String column) throws SQLException {
            java.sql.Array array = rs.getArray(column);
            return array == null ? List.of() : List.of((Integer[]) array.getArray());
        }
    }
}
