package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.store.FleetStore;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * Host heartbeats written to the database in groups (group commit). Each caller waits for the
 * transaction that holds its heartbeat, so an acked heartbeat is durable as before, but ten
 * thousand hosts cost one UPDATE per round trip rather than one transaction each. A group is
 * written as soon as the previous one committed: with one host heartbeating there is no added
 * delay; under load the groups grow instead of the queue. A host whose row another transaction
 * holds is skipped and tried again with the next group, so only its own events wait. A host's
 * first heartbeat (just enrolled, now healthy) wakes, in the same transaction, the operations
 * waiting for room in its region: they place on it at once rather than at their next look.
 */
public final class HeartbeatWriter implements AutoCloseable {
    private final Transactions db;
    private final BiConsumer<Tx, String> wake;
    private final DistributionSummary groupSize;
    private final ExecutorService flusher = Executors.newSingleThreadExecutor(
            Thread.ofVirtual().name("heartbeat-writer").factory());
    private final Object lock = new Object();
    /** Sorted by host id, so two replicas' groups lock their rows in the same order. */
    private TreeMap<UUID, Beat> pending = new TreeMap<>();

    private boolean writing;
    private boolean closed;

    /** A host's latest heartbeat not yet written, and everyone waiting for it. */
    private record Beat(Instant at, List<CompletableFuture<Void>> waiting) {
        Beat merge(Beat other) {
            List<CompletableFuture<Void>> all = new ArrayList<>(waiting);
            all.addAll(other.waiting);
            return new Beat(at.isAfter(other.at) ? at : other.at, all);
        }

        /** The writer closed before this heartbeat was written: its agent replays it to another replica. */
        void failStopping() {
            waiting.forEach(w -> w.completeExceptionally(stopping()));
        }
    }

    private static IllegalStateException stopping() {
        return new IllegalStateException("the control plane is stopping");
    }

    /** @param wake makes an operation's job due now (those waiting for room, on a host's first heartbeat) */
    public HeartbeatWriter(Transactions db, BiConsumer<Tx, String> wake, MeterRegistry meters) {
        this.db = db;
        this.wake = wake;
        this.groupSize = DistributionSummary.builder("spinup_heartbeat_group_size")
                .description("heartbeats written per transaction (group commit)")
                .register(meters);
    }

    /** Records that {@code hostId} was alive at {@code at}; returns once that is committed. */
    public void record(UUID hostId, Instant at) {
        CompletableFuture<Void> committed = new CompletableFuture<>();
        boolean start;
        synchronized (lock) {
            if (closed) {
                throw stopping();
            }
            pending.merge(hostId, new Beat(at, List.of(committed)), Beat::merge);
            start = !writing;
            writing = true;
        }
        if (start) {
            flusher.execute(this::writeGroups);
        }
        committed.join();
    }

    private void writeGroups() {
        while (true) {
            TreeMap<UUID, Beat> group;
            synchronized (lock) {
                if (pending.isEmpty()) {
                    writing = false;
                    return;
                }
                group = pending;
                pending = new TreeMap<>();
            }
            Set<UUID> locked;
            try {
                Map<UUID, Instant> at = new TreeMap<>();
                group.forEach((id, beat) -> at.put(id, beat.at));
                locked = db.inTransaction(tx -> {
                    FleetStore.Beats beats = tx.fleet().heartbeats(at);
                    if (!beats.first().isEmpty()) {
                        tx.scaling().capacityWaitJobsNear(beats.first()).forEach(job -> wake.accept(tx, job));
                    }
                    return beats.busy();
                });
                groupSize.record(group.size() - locked.size());
            } catch (Throwable e) {
                boolean stopping;
                synchronized (lock) {
                    stopping = closed; // close() interrupted this write: say so, not "interrupted"
                }
                group.values().forEach(beat -> {
                    if (stopping) {
                        beat.failStopping();
                    } else {
                        beat.waiting.forEach(w -> w.completeExceptionally(e));
                    }
                });
                continue;
            }
            group.forEach((id, beat) -> {
                if (locked.contains(id)) {
                    synchronized (lock) {
                        if (closed) {
                            beat.failStopping();
                        } else {
                            pending.merge(id, beat, Beat::merge); // its row is busy: the next group tries again
                        }
                    }
                } else {
                    beat.waiting.forEach(w -> w.complete(null));
                }
            });
            if (locked.size() == group.size()) {
                LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // only busy rows left: do not spin
            }
        }
    }

    /** Stops writing; heartbeats still waiting fail (their agents replay them to another replica). */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            pending.values().forEach(Beat::failStopping);
            pending.clear();
        }
        flusher.shutdownNow();
    }
}
