package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds active workspaces whose last periodic snapshot is older than their snapshot interval
 * (time from the injected clock) and starts a SNAPSHOT operation for each. Run by db-scheduler as
 * a recurring task on one replica at a time; the request id is per workspace and scan tick, so
 * replicas racing on the same tick start one snapshot, and a failed one is retried next tick.
 */
public final class PeriodicSnapshots {
    private static final Logger log = LoggerFactory.getLogger(PeriodicSnapshots.class);
    private static final int BATCH = 200;

    private final Transactions db;
    private final WorkspaceService workspaces;
    private final Duration scanInterval;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Counter periodicSnapshotsStarted;

    public PeriodicSnapshots(
            Transactions db, WorkspaceService workspaces, Duration scanInterval, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.workspaces = workspaces;
        this.scanInterval = scanInterval;
        this.clock = clock;
        this.meters = meters;
        this.periodicSnapshotsStarted = meters.counter("spinup_periodic_snapshots_started");
    }

    public Duration scanInterval() {
        return scanInterval;
    }

    public void scan() {
        Instant now = clock.instant();
        List<UUID> due = db.read(tx -> tx.workspaces().dueForPeriodicSnapshot(now, BATCH));
        long tick = now.getEpochSecond() / Math.max(1, scanInterval.toSeconds());
        int started = 0;
        for (UUID id : due) {
            try {
                workspaces.snapshot(id, "periodic:" + id + ":" + tick);
                started++;
            } catch (SpinUpException e) {
                // busy or no longer active since the query: the next scan looks again
                log.atInfo()
                        .setMessage("periodic_snapshot_skipped")
                        .addKeyValue("workspace", id)
                        .addKeyValue("reason", e.reason())
                        .log();
            }
        }
        periodicSnapshotsStarted.increment(started);
        if (!due.isEmpty()) {
            log.atInfo()
                    .setMessage("periodic_snapshot_scan")
                    .addKeyValue("due", due.size())
                    .addKeyValue("started", started)
                    .log();
        }
    }
}
