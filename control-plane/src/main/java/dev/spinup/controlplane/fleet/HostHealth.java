package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heartbeat lease, like the kubelet's: a healthy host whose last heartbeat is older than the
 * lease becomes unhealthy and gets no placements until a heartbeat arrives again. Run by
 * db-scheduler as a recurring task on one replica at a time.
 */
public final class HostHealth {
    private static final Logger log = LoggerFactory.getLogger(HostHealth.class);

    private final Transactions db;
    private final Duration lease;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Counter hostsMarkedUnhealthy;

    public HostHealth(Transactions db, Duration lease, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.lease = lease;
        this.clock = clock;
        this.meters = meters;
        this.hostsMarkedUnhealthy = meters.counter("spinup_hosts_marked_unhealthy");
        meters.gauge("spinup_hosts_unhealthy", this, HostHealth::countUnhealthy);
    }

    public void check() {
        List<UUID> expired =
                db.inTransaction(tx -> tx.fleet().expireLeases(clock.instant().minus(lease), clock.instant()));
        for (UUID host : expired) {
            log.atWarn()
                    .setMessage("host_unhealthy")
                    .addKeyValue("host", host)
                    .addKeyValue("no_heartbeat_for_seconds", lease.toSeconds())
                    .log();
        }
        hostsMarkedUnhealthy.increment(expired.size());
    }

    private double countUnhealthy() {
        try {
            return db.read(tx -> tx.fleet().countIn(HostState.UNHEALTHY));
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }
}
