package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.workspaces.Envelope;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
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

    /** A heartbeat arrived: refresh the lease; an unhealthy host becomes healthy again. */
    public void heartbeat(Handle h, UUID hostId, Instant now) {
        h.createUpdate("""
                        UPDATE hosts SET last_heartbeat_at = :now,
                            state = CASE WHEN state = 'unhealthy' THEN 'healthy' ELSE state END
                        WHERE id = :id""")
                .bind("id", hostId).bind("now", Timestamp.from(now)).execute();
    }

    static Host mapHost(ResultSet rs) throws SQLException {
        Timestamp hb = rs.getTimestamp("last_heartbeat_at");
        return new Host(rs.getObject("id", UUID.class), rs.getString("region_id"), rs.getString("fqdn"),
                HostState.fromWire(rs.getString("state")),
                new Envelope(rs.getInt("total_vcpu"), rs.getInt("total_ram_gb"), rs.getInt("total_disk_gb")),
                hb == null ? null : hb.toInstant());
    }
}
