package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.Host;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.Region;
import dev.spinup.controlplane.core.RegionCapacity;
import dev.spinup.controlplane.store.FleetStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.sqlobject.config.KeyColumn;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.config.ValueColumn;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** regions, hosts and host_orphans in PostgreSQL. */
@RegisterRowMapper(JdbiFleetStore.HostMapper.class)
@RegisterRowMapper(JdbiFleetStore.HostViewMapper.class)
interface JdbiFleetStore extends FleetStore {
    String HOST = "id, region_id, fqdn, state, state_since, state_reason, total_vcpu, total_ram_gb, total_disk_gb,"
            + " last_heartbeat_at";

    String HOST_VIEW = """
            SELECT h.id, h.region_id, h.fqdn, h.state, h.state_since, h.state_reason, h.total_vcpu,
                   h.total_ram_gb, h.total_disk_gb, h.last_heartbeat_at, u.vcpu, u.ram, u.disk, u.n
            FROM hosts h CROSS JOIN LATERAL (
                SELECT COALESCE(sum(w.vcpu), 0) AS vcpu, COALESCE(sum(w.ram_gb), 0) AS ram,
                       COALESCE(sum(w.disk_gb), 0) AS disk, count(*) AS n
                FROM workspaces w WHERE w.host_id = h.id AND w.state IN ('active', 'suspended')) u
            """;

    @Override
    @SqlUpdate("INSERT INTO regions (id, display_name) VALUES (:id, :displayName) ON CONFLICT (id) DO NOTHING")
    void ensureRegion(String id, String displayName);

    @Override
    @SqlQuery("""
            SELECT id, display_name, state, created_at FROM regions
            WHERE CAST(:afterId AS text) IS NULL OR id > :afterId ORDER BY id LIMIT :limit""")
    List<Region> regions(String afterId, int limit);

    @Override
    @SqlQuery("SELECT EXISTS (SELECT 1 FROM regions WHERE id = :id)")
    boolean regionExists(String id);

    @Override
    @SqlQuery("SELECT id, display_name, state, created_at FROM regions WHERE id = :id")
    Optional<Region> findRegion(String id);

    @Override
    default Optional<RegionCapacity> capacity(String regionId) {
        return capacityRow(regionId)
                .map(r -> new RegionCapacity(
                        r.minHosts(),
                        r.maxHosts(),
                        r.headroomWorkspaces(),
                        r.headroomFlavor(),
                        java.time.Duration.ofSeconds(r.scaleInCoolDownSeconds())));
    }

    record CapacityRow(
            int minHosts, int maxHosts, int headroomWorkspaces, Flavor headroomFlavor, int scaleInCoolDownSeconds) {}

    @SqlQuery("""
            SELECT min_hosts, max_hosts, headroom_workspaces, headroom_flavor, scale_in_cool_down_seconds
            FROM regions WHERE id = :regionId""")
    Optional<CapacityRow> capacityRow(String regionId);

    @Override
    default boolean setCapacity(String regionId, RegionCapacity c) {
        return setCapacityRow(regionId, c.minHosts(), c.maxHosts(), c.headroomWorkspaces(), c.headroomFlavor(), (int)
                c.scaleInCoolDown().toSeconds());
    }

    @SqlUpdate("""
            UPDATE regions SET min_hosts = :min, max_hosts = :max, headroom_workspaces = :headroom,
                               headroom_flavor = :flavor, scale_in_cool_down_seconds = :coolDown
            WHERE id = :regionId""")
    boolean setCapacityRow(String regionId, int min, int max, int headroom, Flavor flavor, int coolDown);

    @Override
    @SqlUpdate("UPDATE regions SET provider = :provider WHERE id = :regionId")
    boolean setProvider(String regionId, String provider);

    @Override
    @SqlQuery("SELECT id FROM regions WHERE provider = :provider ORDER BY id")
    List<String> regionsGrownBy(String provider);

    @Override
    default List<EmptyHost> emptyHosts(String regionId, Instant now) {
        markEmpty(regionId, now);
        return emptyHostsQuery(regionId);
    }

    @SqlUpdate("""
            UPDATE hosts h SET empty_since = CASE WHEN held.occupied THEN NULL ELSE COALESCE(h.empty_since, :now) END
            FROM (SELECT h2.id, EXISTS (SELECT 1 FROM workspaces w WHERE w.host_id = h2.id
                                        AND w.state IN ('active', 'suspended')) AS occupied
                  FROM hosts h2 WHERE h2.region_id = :regionId AND h2.state = 'healthy') held
            WHERE h.id = held.id AND (held.occupied = (h.empty_since IS NOT NULL))""")
    void markEmpty(String regionId, Instant now);

    @SqlQuery("SELECT " + HOST + ", empty_since FROM hosts"
            + " WHERE region_id = :regionId AND state = 'healthy' AND empty_since IS NOT NULL"
            + " ORDER BY empty_since, id")
    @RegisterRowMapper(EmptyHostMapper.class)
    List<EmptyHost> emptyHostsQuery(String regionId);

    @Override
    default boolean drainIfEmpty(UUID id, Instant now, String reason) {
        lockHost(id); // waits for a placement on it to commit; the next statement sees that
        return drainEmpty(id, now, reason);
    }

    @SqlQuery("SELECT id FROM hosts WHERE id = :id FOR UPDATE")
    Optional<UUID> lockHost(UUID id);

    @SqlUpdate("""
            UPDATE hosts SET state = 'draining', state_since = :now, state_reason = :reason, empty_since = NULL
            WHERE id = :id AND state = 'healthy'
              AND NOT EXISTS (SELECT 1 FROM workspaces w WHERE w.host_id = :id AND w.state IN ('active', 'suspended'))""")
    boolean drainEmpty(UUID id, Instant now, String reason);

    @Override
    @SqlQuery("SELECT " + HOST + " FROM hosts WHERE region_id = :regionId AND state = 'draining'"
            + " AND starts_with(state_reason, :reasonPrefix) ORDER BY id")
    List<Host> draining(String regionId, String reasonPrefix);

    @SqlQuery("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext('instance:' || :instanceId))) l")
    int lockInstanceRow(String instanceId);

    @Override
    default void lockInstance(String instanceId) {
        lockInstanceRow(instanceId);
    }

    @Override
    @SqlQuery("SELECT id FROM hosts WHERE fqdn = :instanceId OR starts_with(fqdn, :instanceId || '.') LIMIT 1")
    Optional<UUID> hostOfInstance(String instanceId);

    @Override
    @SqlQuery("SELECT " + HOST + " FROM hosts WHERE region_id = :regionId"
            + " AND state IN ('healthy', 'unhealthy', 'draining') ORDER BY id")
    List<Host> inService(String regionId);

    @Override
    @SqlUpdate("""
            UPDATE hosts SET state = 'retired', state_since = :now, state_reason = :reason
            WHERE id = :id AND state = 'draining'""")
    boolean retire(UUID id, Instant now, String reason);

    final class EmptyHostMapper implements RowMapper<EmptyHost> {
        @Override
        public EmptyHost map(ResultSet rs, StatementContext ctx) throws SQLException {
            return new EmptyHost(new HostMapper().map(rs, ctx), Rows.get(rs, ctx, "empty_since", Instant.class));
        }
    }

    @Override
    @SqlQuery("SELECT provider FROM regions WHERE id = :regionId")
    Optional<String> provider(String regionId);

    @Override
    @SqlQuery("SELECT state, count(*) AS hosts FROM hosts WHERE region_id = :regionId GROUP BY state")
    List<StateCount> hostCounts(String regionId);

    @Override
    @SqlUpdate("""
            INSERT INTO hosts (id, region_id, fqdn, total_vcpu, total_ram_gb, total_disk_gb, state_since, state_reason)
            VALUES (:id, :regionId, :fqdn, :total.vcpu, :total.ramGb, :total.diskGb, :now, :reason)
            ON CONFLICT (id) DO UPDATE SET total_vcpu = excluded.total_vcpu,
                total_ram_gb = excluded.total_ram_gb, total_disk_gb = excluded.total_disk_gb""")
    void registerHost(
            UUID id, String regionId, String fqdn, @BindMethods("total") Envelope total, Instant now, String reason);

    @Override
    @SqlQuery("SELECT " + HOST + " FROM hosts WHERE id = :id")
    Optional<Host> findHost(UUID id);

    @Override
    @SqlQuery("SELECT id FROM hosts WHERE fqdn = :fqdn")
    Optional<UUID> hostNamed(String fqdn);

    @Override
    @SqlQuery("SELECT id FROM hosts WHERE edge_address <> '' AND state NOT IN ('retired', 'lost') ORDER BY id")
    List<UUID> hostsWithEdge();

    @Override
    @SqlQuery("SELECT edge_address FROM hosts WHERE id = :id AND edge_address <> ''")
    Optional<String> edgeAddress(UUID id);

    @Override
    @SqlQuery("SELECT EXISTS (SELECT 1 FROM hosts WHERE id = :id AND state NOT IN ('retired', 'lost'))")
    boolean isActiveHost(UUID id);

    @Override
    @SqlUpdate("""
            UPDATE hosts SET state = 'lost', state_since = :now, state_reason = :reason, empty_since = NULL
            WHERE id = :id AND state NOT IN ('lost', 'retired')""")
    boolean declareLost(UUID id, Instant now, String reason);

    @Override
    @SqlQuery(
            "SELECT id FROM hosts WHERE state IN ('unhealthy', 'draining') AND last_heartbeat_at < :cutoff ORDER BY id")
    List<UUID> silentSince(Instant cutoff);

    @Override
    @SqlQuery("""
            SELECT h.id FROM hosts h WHERE h.state = 'lost'
              AND EXISTS (SELECT 1 FROM workspaces w WHERE w.host_id = h.id
                          AND w.state IN ('active', 'suspended', 'archived'))
            ORDER BY h.id""")
    List<UUID> lostWithWorkspaces();

    @Override
    @SqlQuery("""
            SELECT id FROM hosts WHERE region_id = :regionId AND state = 'healthy' AND id <> :leaving
            ORDER BY (edge_address IS NULL OR edge_address = ''), id LIMIT 1""")
    Optional<UUID> namesHomeIn(String regionId, UUID leaving);

    @Override
    @SqlQuery("""
            SELECT NOT EXISTS (SELECT 1 FROM workspaces WHERE host_id = :id AND state <> 'deleted')
               AND NOT EXISTS (SELECT 1 FROM operations WHERE status IN ('pending', 'running')
                               AND params->>'old_host_id' = CAST(:id AS text))""")
    boolean holdsNothing(UUID id);

    @Override
    @SqlQuery("SELECT EXISTS (SELECT 1 FROM hosts WHERE id = :id AND state = 'lost')")
    boolean isLost(UUID id);

    @Override
    @SqlQuery(HOST_VIEW + " WHERE h.id = :id")
    Optional<HostView> hostView(UUID id);

    @Override
    @SqlQuery(HOST_VIEW + """
             WHERE (CAST(:regionId AS text) IS NULL OR h.region_id = :regionId)
               AND (CAST(:state AS text) IS NULL OR h.state = :state)
               AND (CAST(:afterId AS uuid) IS NULL OR h.id > :afterId)
            ORDER BY h.id LIMIT :limit""")
    List<HostView> hostViews(String regionId, HostState state, UUID afterId, int limit);

    @Override
    @SqlQuery("SELECT count(*) FROM hosts WHERE state = :state")
    long countIn(HostState state);

    @Override
    @SqlUpdate("""
            UPDATE hosts SET state = 'draining', state_since = :now, state_reason = :reason
            WHERE id = :id AND state NOT IN ('retired', 'draining', 'lost')""")
    boolean drain(UUID id, Instant now, String reason);

    @Override
    @SqlUpdate("""
            UPDATE hosts SET state = CASE WHEN last_heartbeat_at >= :leaseCutoff THEN 'healthy'
                                          WHEN last_heartbeat_at IS NULL THEN 'enrolling' ELSE 'unhealthy' END,
                             state_since = :now, state_reason = :reason
            WHERE id = :id AND state = 'draining'""")
    boolean undrain(UUID id, Instant leaseCutoff, Instant now, String reason);

    @Override
    @SqlQuery("""
            UPDATE hosts SET state = 'unhealthy', state_since = :now,
                             state_reason = CASE WHEN last_heartbeat_at IS NULL THEN 'no heartbeat yet'
                                 ELSE 'no heartbeat since ' || to_char(last_heartbeat_at AT TIME ZONE 'UTC',
                                                                       'YYYY-MM-DD"T"HH24:MI:SS"Z"') END
            WHERE state = 'healthy' AND (last_heartbeat_at IS NULL OR last_heartbeat_at < :cutoff)
            RETURNING id""")
    List<UUID> expireLeases(Instant cutoff, Instant now);

    @Override
    default List<Orphan> orphans(UUID hostId, OrphanKey after, int limit) {
        return orphansAfter(
                hostId, after == null ? null : after.hostId(), after == null ? null : after.workspaceId(), limit);
    }

    @SqlQuery("""
            SELECT host_id, workspace_id, local_state, first_seen_at, last_seen_at FROM host_orphans
            WHERE (CAST(:hostId AS uuid) IS NULL OR host_id = :hostId)
              AND (CAST(:afterHost AS uuid) IS NULL OR (host_id, workspace_id) > (:afterHost, :afterWorkspace))
            ORDER BY host_id, workspace_id LIMIT :limit""")
    List<Orphan> orphansAfter(UUID hostId, UUID afterHost, String afterWorkspace, int limit);

    @Override
    default void replaceOrphans(UUID hostId, Map<String, String> localStates, Instant now) {
        String[] ids = localStates.keySet().toArray(String[]::new);
        forgetOrphansOtherThan(hostId, ids);
        upsertOrphans(hostId, ids, localStates.values().toArray(String[]::new), now);
    }

    @SqlUpdate("DELETE FROM host_orphans WHERE host_id = :hostId AND NOT (workspace_id = ANY(:ids))")
    void forgetOrphansOtherThan(UUID hostId, String[] ids);

    @SqlUpdate("""
            INSERT INTO host_orphans (host_id, workspace_id, local_state, first_seen_at, last_seen_at)
            SELECT :hostId, o.workspace_id, o.local_state, :now, :now FROM unnest(:ids, :states) AS o(workspace_id, local_state)
            ON CONFLICT (host_id, workspace_id)
            DO UPDATE SET local_state = excluded.local_state, last_seen_at = excluded.last_seen_at""")
    void upsertOrphans(UUID hostId, String[] ids, String[] states, Instant now);

    /** One statement, as every agent of a replica that died reconnects at once. */
    @SqlQuery("""
            UPDATE hosts SET edge_address = NULLIF(:edgeAddress, '')
            WHERE id = :id AND state NOT IN ('retired', 'lost')
            RETURNING true""")
    Optional<Boolean> openSessionQuery(UUID id, String edgeAddress);

    @Override
    default boolean openSession(UUID id, String edgeAddress) {
        return openSessionQuery(id, edgeAddress).isPresent();
    }

    @Override
    default Beats heartbeats(Map<UUID, Instant> at) {
        Set<UUID> busy = new HashSet<>();
        Set<UUID> first = new HashSet<>();
        heartbeats(at.keySet().toArray(UUID[]::new), at.values().toArray(Instant[]::new))
                .forEach((id, outcome) -> (outcome.equals("busy") ? busy : first).add(id));
        return new Beats(busy, first);
    }

    @SqlQuery("""
            WITH beat AS (SELECT * FROM unnest(:ids, :at) AS b(id, at)),
                 free AS (SELECT hosts.id, hosts.state AS was FROM hosts JOIN beat USING (id) ORDER BY hosts.id
                          FOR NO KEY UPDATE OF hosts SKIP LOCKED),
                 done AS (UPDATE hosts SET last_heartbeat_at = beat.at,
                              state = CASE WHEN hosts.state IN ('unhealthy', 'enrolling') THEN 'healthy'
                                           ELSE hosts.state END,
                              state_since = CASE WHEN hosts.state IN ('unhealthy', 'enrolling') THEN beat.at
                                                 ELSE hosts.state_since END,
                              state_reason = CASE WHEN hosts.state = 'enrolling' THEN 'first heartbeat'
                                                  WHEN hosts.state = 'unhealthy' THEN 'heartbeating again'
                                                  ELSE hosts.state_reason END
                          FROM beat JOIN free USING (id) WHERE hosts.id = beat.id
                          RETURNING hosts.id, free.was)
            SELECT hosts.id, 'busy' AS outcome FROM hosts JOIN beat USING (id) WHERE hosts.id NOT IN (SELECT id FROM done)
            UNION ALL
            SELECT id, 'first' FROM done WHERE was = 'enrolling'""")
    @KeyColumn("id")
    @ValueColumn("outcome")
    Map<UUID, String> heartbeats(UUID[] ids, Instant[] at);

    final class HostMapper implements RowMapper<Host> {
        @Override
        public Host map(ResultSet rs, StatementContext ctx) throws SQLException {
            return new Host(
                    rs.getObject("id", UUID.class),
                    rs.getString("region_id"),
                    rs.getString("fqdn"),
                    Rows.get(rs, ctx, "state", HostState.class),
                    Rows.get(rs, ctx, "state_since", Instant.class),
                    rs.getString("state_reason"),
                    new Envelope(rs.getInt("total_vcpu"), rs.getInt("total_ram_gb"), rs.getInt("total_disk_gb")),
                    Rows.get(rs, ctx, "last_heartbeat_at", Instant.class));
        }
    }

    final class HostViewMapper implements RowMapper<HostView> {
        @Override
        public HostView map(ResultSet rs, StatementContext ctx) throws SQLException {
            return new HostView(
                    new HostMapper().map(rs, ctx),
                    new Envelope(rs.getInt("vcpu"), rs.getInt("ram"), rs.getInt("disk")),
                    rs.getInt("n"));
        }
    }
}
