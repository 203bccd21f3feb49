package dev.spinup.controlplane.engine;

import dev.spinup.controlplane.store.OperationStore;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run of an operation's job. It holds the job's db-scheduler execution (picked) while it runs
 * the operation's steps, and lets go of it in the transaction of its last step: released, due at
 * the wait's deadline, or removed once the operation ended.
 *
 * <p>A run starts in one of two ways. db-scheduler picks a due execution (a deadline, a retry, a
 * run lost in a crash, work another replica had no room for). Or {@link #claim} picks the
 * execution in the transaction that creates the operation, or that records what it waits for
 * (an agent's result), and the run starts here the moment it commits: no reschedule, no poll,
 * no NOTIFY ("continuing in process"). db-scheduler stays the safety net: a replica that dies holding a
 * claimed run leaves its execution picked with a heartbeat that stops, and db-scheduler's check
 * for dead executions on any replica revives it, as it does for a run of its own.
 */
final class JobRuns implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JobRuns.class);

    /** What {@link #claim} did. */
    enum Claim {
        /** The run starts here when the transaction commits. */
        CLAIMED,
        /** A run holds the job already (here or on another replica): it sees the result itself. */
        RUNNING,
        /** No room to run it here now: make it due instead. */
        NO_ROOM
    }

    private final Transactions db;
    private final OperationRunner runner;
    private final Clock clock;
    private final OperationEngine.Config config;
    private final Runnable checkForDueWork;
    private final Semaphore room;
    private final ExecutorService continuing;
    /** Claimed runs in progress here, by job id: the version each holds. */
    private final Map<String, Long> claimed = new ConcurrentHashMap<>();

    private volatile boolean closed;
    private final Counter jobFailures;
    private final Counter jobsLost;
    /** Heartbeats of claimed runs, and looks for due work when a job is due before the next poll. */
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "operation-timers");
        t.setDaemon(true);
        return t;
    });

    JobRuns(
            Transactions db,
            OperationRunner runner,
            OperationEngine.Config config,
            Clock clock,
            MeterRegistry meters,
            Runnable checkForDueWork) {
        this.db = db;
        this.runner = runner;
        this.clock = clock;
        this.config = config;
        this.checkForDueWork = checkForDueWork;
        int threads = config.threads(); // 0: this replica runs no jobs, and continues none
        this.room = new Semaphore(threads);
        AtomicInteger n = new AtomicInteger();
        this.continuing = Executors.newFixedThreadPool(Math.max(threads, 1), r -> {
            Thread t = new Thread(r, "operation-continue-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.jobFailures = meters.counter("spinup_operation_job_failures");
        this.jobsLost = meters.counter("spinup_operation_jobs_lost");
        long beat = config.heartbeatInterval().toMillis();
        timers.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
    }

    /** A run db-scheduler picked (at {@code version}). */
    void runPicked(String jobId, long version) {
        run(jobId, version, Optional.empty());
    }

    /**
     * In the transaction that records what the operation waits for ({@code afterResult}), or that
     * creates it: picks its job for a run here, started when the transaction commits, if this
     * replica has a free run.
     */
    Claim claim(Tx tx, String jobId, OperationStore.Woken woken, boolean afterResult) {
        if (closed || !room.tryAcquire()) {
            return Claim.NO_ROOM;
        }
        AtomicBoolean held = new AtomicBoolean(true);
        Runnable giveBack = () -> {
            if (held.compareAndSet(true, false)) {
                room.release();
            }
        };
        tx.afterRollback(giveBack);
        Optional<Long> version = tx.operations().claimJob(jobId, config.replicaName(), clock.instant());
        if (version.isEmpty()) {
            giveBack.run();
            return Claim.RUNNING;
        }
        tx.afterCommit(() -> {
            try {
                continuing.execute(() -> {
                    try {
                        runClaimed(jobId, version.get(), woken, afterResult);
                    } finally {
                        giveBack.run();
                    }
                });
            } catch (RejectedExecutionException shuttingDown) {
                giveBack.run(); // left picked: revived as dead by a replica that serves on
            }
        });
        return Claim.CLAIMED;
    }

    private void runClaimed(String jobId, long version, OperationStore.Woken woken, boolean afterResult) {
        claimed.put(jobId, version);
        try {
            if (afterResult) {
                runner.beforeContinuing(UUID.fromString(jobId));
            }
            run(jobId, version, Optional.of(woken));
        } catch (RuntimeException e) {
            // only the release itself failed (the database is away): the heartbeat stops and
            // the job is revived as dead, as after a crash
            jobFailures.increment();
            log.atWarn()
                    .setMessage("operation_run_not_released")
                    .addKeyValue("job", jobId)
                    .setCause(e)
                    .log();
        } finally {
            claimed.remove(jobId, version); // not a later claim of the same job, started meanwhile
        }
    }

    /**
     * Runs the operation until it waits or ends; the run's last step releases or removes the job
     * in its own transaction (see {@link OperationRunner.JobHold}).
     */
    private void run(String jobId, long version, Optional<OperationStore.Woken> known) {
        UUID operationId = UUID.fromString(jobId);
        OperationRunner.JobHold hold = new OperationRunner.JobHold() {
            @Override
            public void release(Tx tx, Instant at) {
                released(jobId, tx.operations().releaseJob(jobId, version, at, false, clock.instant()));
            }

            @Override
            public void remove(Tx tx) {
                released(jobId, tx.operations().removeJob(jobId, version));
            }
        };
        Optional<Instant> next;
        try {
            next = known.isPresent()
                    ? runner.run(operationId, known.get().verb(), known.get().params(), hold)
                    : runner.run(operationId, hold);
        } catch (RuntimeException e) {
            // A step threw (a bug, or the database went away): try again shortly. Steps are
            // idempotent, and the operation's own deadlines bound how long this can go on.
            jobFailures.increment();
            log.atWarn()
                    .setMessage("operation_run_failed")
                    .addKeyValue("job", jobId)
                    .setCause(e)
                    .log();
            Instant retry = clock.instant().plus(config.retryDelay());
            released(
                    jobId,
                    db.inTransaction(tx -> tx.operations().releaseJob(jobId, version, retry, true, clock.instant())));
            lookAt(retry);
            return;
        }
        next.ifPresent(this::lookAt);
    }

    /** Counts it when the job was no longer this run's: another replica took it for dead. */
    private void released(String jobId, boolean released) {
        if (!released) {
            jobsLost.increment();
            log.atWarn()
                    .setMessage("operation_job_taken_over")
                    .addKeyValue("job", jobId)
                    .addKeyValue("replica", config.replicaName())
                    .log();
        }
    }

    /** db-scheduler would find a job due before its next poll only at that poll: look for it on time. */
    private void lookAt(Instant due) {
        Duration until = Duration.between(clock.instant(), due);
        if (until.compareTo(config.pollingInterval()) < 0) {
            timers.schedule(checkForDueWork, Math.max(until.toMillis(), 0) + 1, TimeUnit.MILLISECONDS);
        }
    }

    private void heartbeat() {
        if (claimed.isEmpty()) {
            return;
        }
        try {
            Instant now = clock.instant();
            db.inTransactionVoid(
                    tx -> claimed.forEach((job, version) -> tx.operations().heartbeatJob(job, version, now)));
        } catch (RuntimeException e) {
            log.atWarn().setMessage("operation_heartbeat_failed").setCause(e).log();
        }
    }

    @Override
    public void close() {
        closed = true;
        continuing.shutdown();
        try {
            if (!continuing.awaitTermination(30, TimeUnit.SECONDS)) {
                continuing.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdownNow();
    }
}
