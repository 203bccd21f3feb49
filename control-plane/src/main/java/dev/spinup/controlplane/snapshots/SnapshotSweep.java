package dev.spinup.controlplane.snapshots;

import static java.util.Objects.requireNonNull;

import dev.spinup.controlplane.store.SnapshotObjects;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes snapshot objects that no live record stands for (an upload cut off before its result was
 * recorded and never rolled back, a purge a crash interrupted, anything written by hand) once they
 * are older than a grace period. A recurring task, one replica at a time; object storage is listed
 * and cleaned with no transaction held, the database only asked which keys it knows.
 */
public final class SnapshotSweep {
    private static final Logger log = LoggerFactory.getLogger(SnapshotSweep.class);

    /** @param every how often it runs; @param grace how old an object must be before it may go */
    public record Config(Duration every, Duration grace) {
        public Config {
            requireNonNull(every, "every");
            requireNonNull(grace, "grace");
        }

        public static Config defaults() {
            return new Config(Duration.ofHours(1), Duration.ofHours(24));
        }
    }

    private final Transactions db;
    private final SnapshotObjects storage;
    private final Config config;
    private final Clock clock;
    private final Counter sweepFailures;
    private final Counter snapshotObjectsSwept;

    public SnapshotSweep(Transactions db, SnapshotObjects storage, Config config, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.storage = storage;
        this.config = config;
        this.clock = clock;
        // documented series exist from start, at 0, so a rate() sees their first increase
        this.sweepFailures = meters.counter("spinup_background_failures", "loop", "snapshot_sweep");
        this.snapshotObjectsSwept = meters.counter("spinup_snapshot_objects_swept");
    }

    public Duration every() {
        return config.every();
    }

    /** One pass over the bucket's workspace objects; returns how many it deleted. */
    public int sweep() {
        Instant cutoff = clock.instant().minus(config.grace());
        AtomicInteger swept = new AtomicInteger();
        try {
            storage.list("workspaces/", page -> {
                List<String> old = page.stream()
                        .filter(o -> o.lastModified().isBefore(cutoff))
                        .map(o -> storage.uri(o.key()))
                        .toList();
                if (old.isEmpty()) {
                    return;
                }
                Set<String> known = db.read(tx -> tx.snapshots().referenced(old));
                List<String> orphans =
                        old.stream().filter(uri -> !known.contains(uri)).toList();
                for (String uri : orphans) {
                    storage.delete(storage.keyOf(uri));
                    log.atWarn()
                            .setMessage("snapshot_object_swept")
                            .addKeyValue("object", uri)
                            .log();
                }
                if (!orphans.isEmpty()) {
                    db.inTransactionVoid(tx -> tx.snapshots().markPurgedByUri(orphans, clock.instant()));
                    swept.addAndGet(orphans.size());
                    snapshotObjectsSwept.increment(orphans.size());
                }
            });
        } catch (RuntimeException e) {
            sweepFailures.increment();
            log.atWarn()
                    .setMessage("snapshot_sweep_failed")
                    .addKeyValue("error", e.toString())
                    .log();
        }
        return swept.get();
    }
}
