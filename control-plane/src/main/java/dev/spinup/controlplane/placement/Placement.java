package dev.spinup.controlplane.placement;

import dev.spinup.controlplane.core.Envelope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * Picks a host for a workspace inside the caller's transaction, which then inserts the workspace:
 * the host row stays locked until commit, so concurrent creates never oversubscribe it. The lock is
 * FOR NO KEY UPDATE: it excludes other placements on the host but not the foreign-key checks of
 * rows that merely reference it (commands to the host, its other workspaces).
 *
 * <p>Capacity is derived, never stored: a host's allocation is the sum over its active and
 * suspended workspaces, read from the partial covering index workspaces_host_allocation with one
 * LATERAL aggregate per host. Callers start at a random point in host-id order so they do not all
 * walk (and skip-lock) the same hosts. A host is a candidate while it is healthy and its last
 * heartbeat is within the lease.
 */
public final class Placement {
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

    private final Duration heartbeatLease;
    private final Clock clock;
    private final Timer timer;
    private final Counter stalePicks;

    public Placement(Duration heartbeatLease, Clock clock, MeterRegistry meters) {
        this.heartbeatLease = heartbeatLease;
        this.clock = clock;
        this.timer = Timer.builder("spinup_placement_duration").register(meters);
        this.stalePicks = Counter.builder("spinup_placement_stale_picks")
                .description("hosts placement locked on a stale allocation and found full on re-reading")
                .register(meters);
    }

    public Optional<UUID> place(Handle h, String regionId, Envelope envelope) {
        return timer.record(() -> {
            Instant cutoff = clock.instant().minus(heartbeatLease);
            UUID start = new UUID(ThreadLocalRandom.current().nextLong(), ThreadLocalRandom.current().nextLong());
            Optional<UUID> host = lockFirstWithRoom(h, regionId, envelope, cutoff, "h.id >= :start", start)
                    .or(() -> lockFirstWithRoom(h, regionId, envelope, cutoff, "h.id < :start", start));
            return host.or(() -> waitForBusyHost(h, regionId, envelope, cutoff));
        });
    }

    /**
     * What the host has left for {@code workspace} — its total minus every other active or
     * suspended workspace on it — with the host row locked until the caller's commit.
     */
    public Envelope roomOnHost(Handle h, UUID hostId, UUID workspace) {
        lockHost(h, hostId);
        return h.createQuery("""
                        SELECT h.total_vcpu - COALESCE(sum(w.vcpu), 0) AS vcpu,
                               h.total_ram_gb - COALESCE(sum(w.ram_gb), 0) AS ram,
                               h.total_disk_gb - COALESCE(sum(w.disk_gb), 0) AS disk
                        FROM hosts h LEFT JOIN workspaces w ON w.host_id = h.id AND w.id <> :ws
                            AND w.state IN ('active', 'suspended')
                        WHERE h.id = :id GROUP BY h.id""")
                .bind("id", hostId).bind("ws", workspace)
                .map((rs, ctx) -> new Envelope(Math.max(0, rs.getInt("vcpu")), Math.max(0, rs.getInt("ram")),
                        Math.max(0, rs.getInt("disk"))))
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
    private Optional<UUID> lockFirstWithRoom(Handle h, String regionId, Envelope e, Instant cutoff, String range,
                                             UUID start) {
        while (true) {
            Optional<UUID> locked = room(h, " AND " + range + " ORDER BY h.id LIMIT 1 FOR NO KEY UPDATE OF h SKIP LOCKED",
                    regionId, e, cutoff).bind("start", start).mapTo(UUID.class).findOne();
            if (locked.isEmpty() || hasRoom(h, regionId, e, cutoff, locked.get())) {
                return locked;
            }
            stalePicks.increment();
        }
    }

    /** Whether a host this transaction has locked still has room, by a statement with a fresh snapshot. */
    private static boolean hasRoom(Handle h, String regionId, Envelope e, Instant cutoff, UUID host) {
        return room(h, " AND h.id = :id", regionId, e, cutoff).bind("id", host).mapTo(UUID.class).findOne().isPresent();
    }

    /** The hosts with room for {@code e} in the region, narrowed and ordered by {@code rest}. */
    private static Query room(Handle h, String rest, String regionId, Envelope e, Instant cutoff) {
        return h.createQuery(ROOM + rest)
                .bind("region", regionId).bind("leaseCutoff", Timestamp.from(cutoff))
                .bind("vcpu", e.vcpu()).bind("ram", e.ramGb()).bind("disk", e.diskGb());
    }

    /** Locks the host row until the caller's commit (waiting for a placement that holds it). */
    private static void lockHost(Handle h, UUID hostId) {
        h.createQuery("SELECT id FROM hosts WHERE id = :id FOR NO KEY UPDATE").bind("id", hostId).mapTo(UUID.class).one();
    }

    /**
     * Every host with room was locked by a concurrent placement. Rather than report no capacity,
     * wait for one of them, then re-check its room with a fresh snapshot. Candidates are locked in
     * id order, the same for every caller, so waiters can never deadlock on each other.
     */
    private Optional<UUID> waitForBusyHost(Handle h, String regionId, Envelope e, Instant cutoff) {
        List<UUID> candidates = room(h, " ORDER BY h.id LIMIT 3", regionId, e, cutoff).mapTo(UUID.class).list();
        for (UUID candidate : candidates) {
            lockHost(h, candidate);
            if (hasRoom(h, regionId, e, cutoff, candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
