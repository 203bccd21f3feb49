package dev.spinup.controlplane.metrics;

import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/** The gauges that read the database (cached between scrapes). */
public final class ControlPlaneMetrics {
    private ControlPlaneMetrics() {}

    private record Queue(Instant readAt, long due, double oldestSeconds) {}

    /**
     * db-scheduler's queue: executions due now and not picked, and how long the oldest of them has
     * waited. Read at most every 5 s, whatever the scrape rate.
     */
    public static void schedulerQueue(Transactions db, Clock clock, MeterRegistry meters) {
        AtomicReference<Queue> last = new AtomicReference<>(new Queue(Instant.EPOCH, 0, 0));
        java.util.function.Supplier<Queue> read = () -> last.updateAndGet(q -> {
            Instant now = clock.instant();
            if (now.isBefore(q.readAt().plusSeconds(5))) {
                return q;
            }
            try {
                var due = db.read(tx -> tx.operations().dueJobs(now));
                return new Queue(now, due.count(), Math.max(0, due.oldest().toNanos() / 1e9));
            } catch (RuntimeException e) {
                return q; // the database is unreachable: keep the last reading (the errors show elsewhere)
            }
        });
        Gauge.builder("spinup_scheduler_due_executions", () -> read.get().due())
                .description("db-scheduler executions due now and not picked by any replica")
                .register(meters);
        Gauge.builder("spinup_scheduler_oldest_due_seconds", () -> read.get().oldestSeconds())
                .description("how long the oldest due, unpicked execution has waited")
                .register(meters);
    }
}
