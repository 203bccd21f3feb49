package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.store.PlacementStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * Placement in PostgreSQL. A host's allocation is the sum over its active and suspended
 * workspaces, read from the partial covering index workspaces_host_allocation with one LATERAL
 * aggregate per host. Callers start at a random point in host-id order so they do not all walk
 * (and skip-lock) the same hosts. The lock is FOR NO KEY UPDATE: it excludes other placements on
 * the host but not the foreign-key checks of rows that merely reference it (commands to the host,
 * its other workspaces). Several statements with logic between them, so a class, not a SqlObject.
 */
final class JdbiPlacementStore implements PlacementStore {
    private static final String ROOM = """
            SELECT h.id FROM hosts h
            CROSS JOIN LATERAL (
                SELECT COALESCE(sum(w.vcpu), 0) AS vcpu, COALESCE(sum(w.ram_gb), 0) AS ram,
                       COALESCE(sum(w.disk_gb), 0) AS disk
                FROM workspaces w WHERE w.host_id = h.id AND w.state IN ('active', 'suspended')) used
            WHERE h.region_id = :region AND h.state = 'healthy' AND h.last_heartbeat_at >= :leaseCutoff
              AND h.total_vcpu - used.vcpu >= :vcpu AND h.total_ram_gb - used.ram >= :ram
              AND h.total_disk_gb - used.disk >= :disk
            """;

    private final Handle h;

    JdbiPlacementStore(Handle h) {
        this.h = h;
    }

    @Override
    public Choice place(String regionId, Envelope envelope, Instant leaseCutoff) {
        UUID start = new UUID(
                ThreadLocalRandom.current().nextLong(),
                ThreadLocalRandom.current().nextLong());
        int[] stale = new int[1];
        Optional<UUID> host = lockFirstWithRoom(regionId, envelope, leaseCutoff, "h.id >= :start", start, stale)
                .or(() -> lockFirstWithRoom(regionId, envelope, leaseCutoff, "h.id < :start", start, stale))
                .or(() -> waitForBusyHost(regionId, envelope, leaseCutoff));
        return new Choice(host, stale[0]);
    }

    @Override
    public Envelope roomOnHost(UUID hostId, UUID workspaceId) {
        lockHost(hostId);
        return h.createQuery("""
                        SELECT h.total_vcpu - COALESCE(sum(w.vcpu), 0) AS vcpu,
                               h.total_ram_gb - COALESCE(sum(w.ram_gb), 0) AS ram,
                               h.total_disk_gb - COALESCE(sum(w.disk_gb), 0) AS disk
                        FROM hosts h LEFT JOIN workspaces w ON w.host_id = h.id AND w.id <> :ws
                            AND w.state IN ('active', 'suspended')
                        WHERE h.id = :id GROUP BY h.id""")
                .bind("id", hostId)
                .bind("ws", workspaceId)
                .map((rs, ctx) -> new Envelope(
                        Math.max(0, rs.getInt("vcpu")), Math.max(0, rs.getInt("ram")), Math.max(0, rs.getInt("disk"))))
                .one();
    }

    /**
     * The first host in {@code range} with room, locked. The statement that finds and locks it
     * computed the host's allocation from a snapshot taken when it began; a placement on that host
     * committing after that snapshot, but before this statement reached the row, leaves the row
     * unlocked and the sum stale. So the locked host's room is read again by a new statement (a new
     * snapshot, which sees every placement that held the lock before us). A host that turns out full
     * stays locked by us and so cannot come back stale; the search goes on from a fresh snapshot.
     */
    private Optional<UUID> lockFirstWithRoom(
            String regionId, Envelope e, Instant cutoff, String range, UUID start, int[] stale) {
        while (true) {
            Optional<UUID> locked = room(
                            " AND " + range + " ORDER BY h.id LIMIT 1 FOR NO KEY UPDATE OF h SKIP LOCKED",
                            regionId,
                            e,
                            cutoff)
                    .bind("start", start)
                    .mapTo(UUID.class)
                    .findOne();
            if (locked.isEmpty() || hasRoom(regionId, e, cutoff, locked.get())) {
                return locked;
            }
            stale[0]++;
        }
    }

    /** Whether a host this transaction has locked still has room, by a statement with a fresh snapshot. */
    private boolean hasRoom(String regionId, Envelope e, Instant cutoff, UUID host) {
        return room(" AND h.id = :id", regionId, e, cutoff)
                .bind("id", host)
                .mapTo(UUID.class)
                .findOne()
                .isPresent();
    }

    /** The hosts with room for {@code e} in the region, narrowed and ordered by {@code rest}. */
    private Query room(String rest, String regionId, Envelope e, Instant cutoff) {
        return h.createQuery(ROOM + rest)
                .bind("region", regionId)
                .bind("leaseCutoff", cutoff)
                .bind("vcpu", e.vcpu())
                .bind("ram", e.ramGb())
                .bind("disk", e.diskGb());
    }

    /** Locks the host row until the caller's commit (waiting for a placement that holds it). */
    private void lockHost(UUID hostId) {
        h.createQuery("SELECT id FROM hosts WHERE id = :id FOR NO KEY UPDATE")
                .bind("id", hostId)
                .mapTo(UUID.class)
                .one();
    }

    /**
     * Every host with room was locked by a concurrent placement. Rather than report no capacity,
     * wait for one of them, then re-check its room with a fresh snapshot. Candidates are locked in
     * id order, the same for every caller, so waiters can never deadlock on each other.
     */
    private Optional<UUID> waitForBusyHost(String regionId, Envelope e, Instant cutoff) {
        List<UUID> candidates = room(" ORDER BY h.id LIMIT 3", regionId, e, cutoff)
                .mapTo(UUID.class)
                .list();
        for (UUID candidate : candidates) {
            lockHost(candidate);
            if (hasRoom(regionId, e, cutoff, candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
