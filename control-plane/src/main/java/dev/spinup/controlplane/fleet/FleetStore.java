package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Region;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.Host;
import dev.spinup.controlplane.core.Envelope;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/** regions and hosts. */
public final class FleetStore {
    public void ensureRegion(Handle h, String id, String displayName) {
        h.createUpdate("INSERT INTO regions (id, display_name) VALUES (:id, :name) ON CONFLICT (id) DO NOTHING")
                .bind("id", id).bind("name", displayName).execute();
    }

    public List<Region> regions(Handle h) {
        return h.createQuery("SELECT id, display_name, state, created_at FROM regions ORDER BY id")
                .map((rs, ctx) -> new Region(rs.getString("id"), rs.getString("display_name"), rs.getString("state"),
                        rs.getTimestamp("created_at").toInstant()))
                .list();
    }

    public boolean regionExists(Handle h, String id) {
        return h.createQuery("SELECT count(*) FROM regions WHERE id = :id").bind("id", id).mapTo(Integer.class).one() > 0;
    }

    /** Registers a host, or updates the capacity of an existing one with the same id. */
    public void registerHost(Handle h, UUID id, String regionId, String fqdn, Envelope total) {
        h.createUpdate("""
                        INSERT INTO hosts (id, region_id, fqdn, total_vcpu, total_ram_gb, total_disk_gb)
                        VALUES (:id, :region, :fqdn, :vcpu, :ram, :disk)
                        ON CONFLICT (id) DO UPDATE SET total_vcpu = excluded.total_vcpu,
                            total_ram_gb = excluded.total_ram_gb, total_disk_gb = excluded.total_disk_gb""")
                .bind("id", id).bind("region", regionId).bind("fqdn", fqdn)
                .bind("vcpu", total.vcpu()).bind("ram", total.ramGb()).bind("disk", total.diskGb())
                .execute();
    }

    public Optional<Host> findHost(Handle h, UUID id) {
        return h.createQuery("""
                        SELECT id, region_id, fqdn, state, total_vcpu, total_ram_gb, total_disk_gb, last_heartbeat_at
                        FROM hosts WHERE id = :id""")
                .bind("id", id).map((rs, ctx) -> mapHost(rs)).findOne();
    }

    /** Whether the host is registered and not retired: the only hosts whose agents are listened to. */
    public boolean isActiveHost(Handle h, UUID id) {
        return h.createQuery("SELECT true FROM hosts WHERE id = :id AND state <> 'retired'")
                .bind("id", id).mapTo(Boolean.class).findOne().orElse(false);
    }

    /** A host with what is allocated on it (derived) and how many workspaces it holds. */
    public record HostView(Host host, Envelope allocated, int workspaceCount) {}

    private static final String HOST_VIEW = """
            SELECT h.id, h.region_id, h.fqdn, h.state, h.total_vcpu, h.total_ram_gb, h.total_disk_gb,
                   h.last_heartbeat_at, u.vcpu, u.ram, u.disk, u.n
            FROM hosts h CROSS JOIN LATERAL (
                SELECT COALESCE(sum(w.vcpu), 0) AS vcpu, COALESCE(sum(w.ram_gb), 0) AS ram,
                       COALESCE(sum(w.disk_gb), 0) AS disk, count(*) AS n
                FROM workspaces w WHERE w.host_id = h.id AND w.state IN ('active', 'suspended')) u
            """;

    public Optional<HostView> hostView(Handle h, UUID id) {
        return h.createQuery(HOST_VIEW + " WHERE h.id = :id").bind("id", id).map((rs, ctx) -> mapView(rs)).findOne();
    }

    public List<HostView> hostViews(Handle h, String regionId, HostState state, UUID afterId, int limit) {
        StringBuilder sql = new StringBuilder(HOST_VIEW + " WHERE true");
        if (regionId != null) {
            sql.append(" AND h.region_id = :region");
        }
        if (state != null) {
            sql.append(" AND h.state = :state");
        }
        if (afterId != null) {
            sql.append(" AND h.id > :after");
        }
        var q = h.createQuery(sql.append(" ORDER BY h.id LIMIT :limit").toString()).bind("limit", limit);
        if (regionId != null) {
            q.bind("region", regionId);
        }
        if (state != null) {
            q.bind("state", state.wire());
        }
        if (afterId != null) {
            q.bind("after", afterId);
        }
        return q.map((rs, ctx) -> mapView(rs)).list();
    }

    /** Draining hosts take no new workspaces; the ones they have stay. False if no such (unretired) host. */
    public boolean drain(Handle h, UUID id) {
        return h.createUpdate("UPDATE hosts SET state = 'draining' WHERE id = :id AND state <> 'retired'")
                .bind("id", id).execute() == 1;
    }

    /** Back to healthy, or unhealthy if its lease has run out meanwhile. */
    public boolean undrain(Handle h, UUID id, Instant leaseCutoff) {
        return h.createUpdate("""
                        UPDATE hosts SET state = CASE WHEN last_heartbeat_at >= :cutoff THEN 'healthy' ELSE 'unhealthy' END
                        WHERE id = :id AND state = 'draining'""")
                .bind("id", id).bind("cutoff", Timestamp.from(leaseCutoff)).execute() == 1;
    }

    /** Healthy hosts whose last heartbeat is older than the cutoff become unhealthy; returns their ids. */
    public List<UUID> expireLeases(Handle h, Instant cutoff) {
        return h.createQuery("""
                        UPDATE hosts SET state = 'unhealthy'
                        WHERE state = 'healthy' AND (last_heartbeat_at IS NULL OR last_heartbeat_at < :cutoff)
                        RETURNING id""")
                .bind("cutoff", Timestamp.from(cutoff)).mapTo(UUID.class).list();
    }

    public record Orphan(UUID hostId, String workspaceId, String localState, Instant firstSeenAt, Instant lastSeenAt) {}

    public List<Orphan> orphans(Handle h, UUID hostId) {
        return h.createQuery("""
                        SELECT host_id, workspace_id, local_state, first_seen_at, last_seen_at FROM host_orphans
                        WHERE (CAST(:host AS uuid) IS NULL OR host_id = :host) ORDER BY host_id, workspace_id""")
                .bind("host", hostId)
                .map((rs, ctx) -> new Orphan(rs.getObject("host_id", UUID.class), rs.getString("workspace_id"),
                        rs.getString("local_state"), rs.getTimestamp("first_seen_at").toInstant(),
                        rs.getTimestamp("last_seen_at").toInstant()))
                .list();
    }

    private static HostView mapView(ResultSet rs) throws SQLException {
        return new HostView(mapHost(rs), new Envelope(rs.getInt("vcpu"), rs.getInt("ram"), rs.getInt("disk")),
                rs.getInt("n"));
    }

    /**
     * A host's agent opened a session: records where its edge answers (empty: it runs none). One
     * statement, as every agent of a replica that died reconnects at once. Returns false when the
     * host is unknown or retired (it may not open a session).
     */
    public boolean openSession(Handle h, UUID id, String edgeAddress) {
        return h.createQuery("""
                        UPDATE hosts SET edge_address = NULLIF(:edge, '')
                        WHERE id = :id AND state <> 'retired'
                        RETURNING id""")
                .bind("id", id).bind("edge", edgeAddress).mapTo(UUID.class).findOne().isPresent();
    }

    /** A heartbeat arrived: refresh the lease; an unhealthy host becomes healthy again. */
    public void heartbeat(Handle h, UUID hostId, Instant now) {
        heartbeats(h, Map.of(hostId, now));
    }

    /**
     * Many hosts' heartbeats in one statement. A host row another transaction has locked is
     * skipped rather than waited for, so one busy host never holds up the others' heartbeats;
     * the ids of those skipped are returned for the caller to try again.
     */
    public Set<UUID> heartbeats(Handle h, Map<UUID, Instant> at) {
        Long[] micros = at.values().stream().map(t -> t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000)
                .toArray(Long[]::new);
        return new HashSet<>(h.createQuery("""
                        WITH beat AS (SELECT * FROM unnest(:ids, :micros) AS b(id, micros)),
                             free AS (SELECT hosts.id FROM hosts JOIN beat USING (id) ORDER BY hosts.id
                                      FOR NO KEY UPDATE OF hosts SKIP LOCKED),
                             done AS (UPDATE hosts SET last_heartbeat_at = to_timestamp(beat.micros / 1e6),
                                          state = CASE WHEN hosts.state = 'unhealthy' THEN 'healthy' ELSE hosts.state END
                                      FROM beat JOIN free USING (id) WHERE hosts.id = beat.id
                                      RETURNING hosts.id)
                        SELECT hosts.id FROM hosts JOIN beat USING (id) WHERE hosts.id NOT IN (SELECT id FROM done)""")
                .bindArray("ids", UUID.class, (Object[]) at.keySet().toArray(UUID[]::new))
                .bindArray("micros", Long.class, (Object[]) micros)
                .mapTo(UUID.class).list());
    }

    static Host mapHost(ResultSet rs) throws SQLException {
        Timestamp hb = rs.getTimestamp("last_heartbeat_at");
        return new Host(rs.getObject("id", UUID.class), rs.getString("region_id"), rs.getString("fqdn"),
                HostState.fromWire(rs.getString("state")),
                new Envelope(rs.getInt("total_vcpu"), rs.getInt("total_ram_gb"), rs.getInt("total_disk_gb")),
                hb == null ? null : hb.toInstant());
    }
}
