package dev.spinup.controlplane;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import dev.spinup.controlplane.fleet.AccessKeys;
import dev.spinup.controlplane.fleet.DnsSync;
import dev.spinup.controlplane.fleet.HostHealth;
import dev.spinup.controlplane.fleet.Scaler;
import dev.spinup.controlplane.snapshots.SnapshotSweep;
import dev.spinup.controlplane.transitions.HostLoss;
import java.time.Duration;
import java.util.List;

/**
 * The control plane's recurring jobs, as db-scheduler tasks: each runs on one replica at a time,
 * and after a crash on another, from the row db-scheduler keeps for it.
 *
 * <ul>
 *   <li>{@value #HOST_HEALTH}, every {@link #HOST_HEALTH_EVERY}: expires heartbeat leases;</li>
 *   <li>{@value #PERIODIC_SNAPSHOTS}, every scan interval: starts the snapshots that are due;</li>
 *   <li>{@value #SNAPSHOT_SWEEP}, every sweep interval: deletes objects no record stands for;</li>
 *   <li>{@value #ACCESS_KEYS}, every {@link #ACCESS_KEYS_EVERY}: makes the next access key when due;</li>
 *   <li>{@value #SCALER}, every {@link #SCALER_EVERY}: keeps the regions a provider grows at their headroom.</li>
 * </ul>
 */
public final class BackgroundJobs {
    public static final String HOST_HEALTH = "host-health";
    public static final String PERIODIC_SNAPSHOTS = "periodic-snapshots";
    public static final String SNAPSHOT_SWEEP = "snapshot-sweep";
    public static final String ACCESS_KEYS = "access-keys";
    public static final String SCALER = "scaler";
    public static final String DNS_SYNC = "dns-sync";
    /** How long a name may point at a workspace's old home after it moved (plus the record's TTL). */
    public static final Duration DNS_SYNC_EVERY = Duration.ofSeconds(5);

    public static final Duration SCALER_EVERY = Duration.ofSeconds(5);
    public static final Duration HOST_HEALTH_EVERY = Duration.ofSeconds(5);
    public static final Duration ACCESS_KEYS_EVERY = Duration.ofMinutes(1);

    private BackgroundJobs() {}

    /** @param snapshotScan one pass of the periodic snapshots, run every {@code scanInterval} */
    public static List<RecurringTask<?>> tasks(
            HostHealth hostHealth,
            HostLoss hostLoss,
            Runnable snapshotScan,
            Duration scanInterval,
            SnapshotSweep sweep,
            AccessKeys accessKeys,
            Scaler scaler,
            DnsSync dns) {
        List<RecurringTask<?>> tasks = new java.util.ArrayList<>(List.of(
                Tasks.recurring(HOST_HEALTH, FixedDelay.of(HOST_HEALTH_EVERY)).execute((instance, context) -> {
                    hostHealth.check();
                    hostLoss.scan();
                }),
                Tasks.recurring(PERIODIC_SNAPSHOTS, FixedDelay.of(scanInterval))
                        .execute((instance, context) -> snapshotScan.run()),
                Tasks.recurring(SNAPSHOT_SWEEP, FixedDelay.of(sweep.every()))
                        .execute((instance, context) -> sweep.sweep()),
                Tasks.recurring(ACCESS_KEYS, FixedDelay.of(ACCESS_KEYS_EVERY))
                        .execute((instance, context) -> accessKeys.rotate()),
                Tasks.recurring(SCALER, FixedDelay.of(SCALER_EVERY)).execute((instance, context) -> scaler.tick())));
        if (dns != null) {
            tasks.add(Tasks.recurring(DNS_SYNC, FixedDelay.of(DNS_SYNC_EVERY))
                    .execute((instance, context) -> dns.sync()));
        }
        return tasks;
    }
}
