package dev.spinup.controlplane.operations;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.spinup.controlplane.db.Database;
import dev.spinup.controlplane.db.Database.Tx;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs operations as db-scheduler executions of the task "operation" (task_instance = the
 * operation's job_id). An execution runs steps until the operation waits, then reschedules itself
 * for the wait's deadline; {@link #wake(Tx, String)} pulls it forward when what it waits for has arrived.
 * No thread ever blocks on an agent.
 */
public final class OperationEngine implements AutoCloseable {
    public static final String TASK_NAME = "operation";
    public static final String NOTIFY_CHANNEL = "spinup_jobs";
    private static final Logger log = LoggerFactory.getLogger(OperationEngine.class);

    private final Database db;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Config config;
    private final CustomTask<Void> task;
    private final SchedulerClient client;
    private volatile Scheduler scheduler;
    private final ScheduledExecutorService wakeRetries;

    /**
     * {@code threads == 0}: this replica runs no jobs (it serves the API and agent sessions only).
     * A replica that stops heartbeating its executions for {@code heartbeatInterval} times
     * {@code missedHeartbeats} is presumed dead, and another replica resumes its operations.
     */
    public record Config(int threads, Duration pollingInterval, Duration retryDelay, String replicaName,
                         Duration heartbeatInterval, int missedHeartbeats) {
        public Config {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must not be negative");
            }
        }

        public Config(int threads, Duration pollingInterval, Duration retryDelay, String replicaName) {
            this(threads, pollingInterval, retryDelay, replicaName, Duration.ofSeconds(5), 4);
        }
    }

    public OperationEngine(Database db, OperationRunner runner, Config config, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.clock = clock;
        this.meters = meters;
        this.config = config;
        this.task = Tasks.custom(TASK_NAME, Void.class)
                .onFailure((FailureHandler<Void>) (complete, ops) -> {
                    // A step threw (a bug, or the database went away): try again shortly. Steps are
                    // idempotent, and the operation's own deadlines bound how long this can go on.
                    meters.counter("spinup_operation_job_failures").increment();
                    ops.reschedule(complete, clock.instant().plus(config.retryDelay()));
                })
                .execute((instance, context) -> {
                    Optional<Instant> next = runner.run(UUID.fromString(instance.getId()));
                    return next.<CompletionHandler<Void>>map(at -> (complete, ops) -> ops.reschedule(complete, at))
                            .orElseGet(() -> (complete, ops) -> ops.remove());
                });
        this.client = SchedulerClient.Builder.create(db.transactionalDataSource(), task).build();
        this.wakeRetries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "operation-wake");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts executing: operation jobs, plus {@code recurring} background tasks, each run by one
     * replica at a time.
     */
    public void start(List<RecurringTask<?>> recurring) {
        if (config.threads() == 0) {
            log.info("event=jobs_disabled replica={}: this replica serves the API and agents only", config.replicaName());
            return;
        }
        this.scheduler = Scheduler.create(db.pool(), List.<Task<?>>of(task))
                .startTasks(recurring) // registers them too
                .schedulerName(new SchedulerName.Fixed(config.replicaName()))
                .threads(config.threads())
                .pollingInterval(config.pollingInterval())
                .pollUsingLockAndFetch(0.5, 1.0)
                .heartbeatInterval(config.heartbeatInterval())
                .missedHeartbeatsLimit(config.missedHeartbeats())
                .clock(clock::instant)
                .build();
        scheduler.start();
    }

    /**
     * Schedules the operation's job inside the caller's transaction: both rows commit or neither.
     * After commit the local scheduler is told to look at once; the insert trigger NOTIFYs the others.
     */
    public void schedule(Tx tx, String jobId) {
        client.schedule(task.instance(jobId), clock.instant());
        tx.afterCommit(this::checkForDueWork);
    }

    /**
     * Something the operation waits for is being recorded in {@code tx}: its job becomes due now,
     * in the same transaction (one commit for both), rather than at its deadline. At commit the
     * local scheduler looks at once and the other replicas are NOTIFYed.
     */
    public void wake(Tx tx, String jobId) {
        WakeResult result = makeDue(tx, jobId);
        tx.afterCommit(() -> afterWake(jobId, result, 0));
    }

    private WakeResult makeDue(Tx tx, String jobId) {
        Instant now = clock.instant();
        int updated = tx.handle().createUpdate("""
                        UPDATE scheduled_tasks SET execution_time = :now
                        WHERE task_name = :task AND task_instance = :job AND NOT picked AND execution_time > :now""")
                .bind("now", Timestamp.from(now)).bind("task", TASK_NAME).bind("job", jobId).execute();
        if (updated == 1) {
            tx.handle().execute("SELECT pg_notify(?, '')", NOTIFY_CHANNEL);
            return WakeResult.WOKEN;
        }
        Optional<Boolean> picked = tx.handle().createQuery("""
                        SELECT picked FROM scheduled_tasks WHERE task_name = :task AND task_instance = :job""")
                .bind("task", TASK_NAME).bind("job", jobId).mapTo(Boolean.class).findOne();
        return picked.orElse(false) ? WakeResult.RUNNING : WakeResult.NOTHING_TO_DO;
    }

    private void afterWake(String jobId, WakeResult result, int attempt) {
        switch (result) {
            case WOKEN -> checkForDueWork();
            // It is running right now and may already have decided to wait: try again once it
            // has rescheduled itself, so the news is never lost.
            case RUNNING -> {
                if (attempt < 200) {
                    wakeRetries.schedule(() -> wakeAgain(jobId, attempt + 1), Math.min(5L << Math.min(attempt, 5), 100),
                            TimeUnit.MILLISECONDS);
                } else {
                    log.warn("event=wake_gave_up job={} attempts={}", jobId, attempt);
                }
            }
            case NOTHING_TO_DO -> { }
        }
    }

    private void wakeAgain(String jobId, int attempt) {
        try {
            afterWake(jobId, db.inTransaction(tx -> makeDue(tx, jobId)), attempt);
        } catch (RuntimeException e) {
            meters.counter("spinup_background_failures", "loop", "operation_wake").increment();
            log.warn("event=wake_failed job={} error={}", jobId, e.toString());
        }
    }

    private enum WakeResult { WOKEN, RUNNING, NOTHING_TO_DO }

    /** Look for due executions now (new work here, or NOTIFYed by another replica). */
    public void checkForDueWork() {
        Scheduler s = scheduler;
        if (s != null) {
            s.triggerCheckForDueExecutions();
        }
    }

    @Override
    public void close() {
        wakeRetries.shutdownNow();
        Scheduler s = scheduler;
        if (s != null) {
            s.stop();
        }
    }
}
