package dev.spinup.controlplane.engine;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceException;
import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs operations as db-scheduler executions of the task "operation" (task_instance = the
 * operation's job_id). An execution runs steps until the operation waits, then reschedules itself
 * for the wait's deadline; {@link #wake(Tx, String)} pulls it forward when what it waits for has
 * arrived. No thread ever blocks on an agent.
 *
 * <p>A wake-up is never lost. Whoever records a result marks the operation woken under its row
 * lock, in the result's own transaction, and reschedules the job to now if it is not running. A
 * running job is either still in its step (which holds the same row lock, so the result commits
 * after it, and the job's next look finds the mark) or ending its run: it takes the row lock,
 * reads the mark and reschedules itself to now rather than to its deadline, in one transaction.
 * And every finished execution asks db-scheduler to look for due work again, so a job made due
 * while every thread was busy is picked as soon as one is free, not at the next poll.
 */
public final class OperationEngine implements AutoCloseable {
    public static final String TASK_NAME = "operation";
    public static final String NOTIFY_CHANNEL = "spinup_jobs";
    private static final Logger log = LoggerFactory.getLogger(OperationEngine.class);

    /** spinup_operation_wakeups by path: made due now, marked for a running job, taken at the end of a run. */
    private final Counter wokenMadeDue;

    private final Counter wokenWhileRunning;
    private final Counter wokenAtEndOfRun;
    private final Transactions db;
    private final DataSource dataSource;
    private final Clock clock;
    private final Counter operationJobFailures;
    private final Config config;
    private final CustomTask<Void> task;
    private final SchedulerClient client;
    private volatile Scheduler scheduler;
    /** Looks for due work when a job rescheduled itself to sooner than the next poll (a retry, a near deadline). */
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "operation-timers");
        t.setDaemon(true);
        return t;
    });

    /**
     * {@code threads == 0}: this replica runs no jobs (it serves the API and agent sessions only).
     * A replica that stops heartbeating its executions for {@code heartbeatInterval} times
     * {@code missedHeartbeats} is presumed dead, and another replica resumes its operations.
     */
    public record Config(
            int threads,
            Duration pollingInterval,
            Duration retryDelay,
            String replicaName,
            Duration heartbeatInterval,
            int missedHeartbeats) {
        public Config {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must not be negative");
            }
        }

        public Config(int threads, Duration pollingInterval, Duration retryDelay, String replicaName) {
            this(threads, pollingInterval, retryDelay, replicaName, Duration.ofSeconds(5), 4);
        }
    }

    /**
     * @param dataSource the database as db-scheduler sees it: inside {@link Transactions#inTransaction}
     *                   it must hand out that transaction's own connection, so scheduling joins it
     */
    public OperationEngine(
            Transactions db,
            DataSource dataSource,
            OperationRunner runner,
            Config config,
            Clock clock,
            MeterRegistry meters) {
        this.db = db;
        this.dataSource = dataSource;
        this.clock = clock;
        // made here, so the documented series exist from start, at 0, and a rate() sees their first increase
        this.wokenMadeDue = meters.counter("spinup_operation_wakeups", "path", "made_due");
        this.wokenWhileRunning = meters.counter("spinup_operation_wakeups", "path", "job_running");
        this.wokenAtEndOfRun = meters.counter("spinup_operation_wakeups", "path", "job_ending_its_run");
        this.operationJobFailures = meters.counter("spinup_operation_job_failures");
        this.config = config;
        this.task = Tasks.custom(TASK_NAME, Void.class)
                .onFailure((FailureHandler<Void>) (complete, ops) -> {
                    // A step threw (a bug, or the database went away): try again shortly. Steps are
                    // idempotent, and the operation's own deadlines bound how long this can go on.
                    operationJobFailures.increment();
                    ops.reschedule(complete, clock.instant().plus(config.retryDelay()));
                })
                .execute((instance, context) -> {
                    UUID operationId = UUID.fromString(instance.getId());
                    Optional<Instant> next = runner.run(operationId);
                    return next.<CompletionHandler<Void>>map(at -> (complete, ops) ->
                                    rescheduleUnlessWoken(operationId, at, when -> ops.reschedule(complete, when)))
                            .orElseGet(() -> (complete, ops) -> ops.remove());
                });
        this.client = SchedulerClient.Builder.create(dataSource, task).build();
    }

    /**
     * Ends a run that waits: at the wait's deadline, or now if a result arrived after the step
     * looked for it. The row lock makes this and {@link #wake} exclusive: a wake either committed
     * before (its mark is read here) or runs after this reschedule (and finds the job not running).
     */
    private void rescheduleUnlessWoken(
            UUID operationId, Instant deadline, java.util.function.Consumer<Instant> reschedule) {
        boolean woken = db.inTransaction(tx -> {
            boolean w = tx.operations().lockWoken(operationId);
            reschedule.accept(w ? clock.instant() : deadline); // on this transaction's connection
            return w;
        });
        if (woken) {
            wokenAtEndOfRun.increment();
            return;
        }
        // db-scheduler would find it only at its next poll: look for it on time here.
        Duration until = Duration.between(clock.instant(), deadline);
        if (until.compareTo(config.pollingInterval()) < 0) {
            timers.schedule(this::checkForDueWork, Math.max(until.toMillis(), 0) + 1, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Starts executing: operation jobs, plus {@code recurring} background tasks, each run by one
     * replica at a time.
     */
    public void start(List<RecurringTask<?>> recurring) {
        if (config.threads() == 0) {
            log.atInfo()
                    .setMessage("jobs_disabled")
                    .addKeyValue("replica", config.replicaName())
                    .addKeyValue("serves", "api_and_agents_only")
                    .log();
            return;
        }
        // db-scheduler's own statements join the caller's transaction where there is one (the
        // reschedule above); its polling takes pooled connections as before.
        this.scheduler = Scheduler.create(dataSource, List.<Task<?>>of(task))
                .startTasks(recurring) // registers them too
                .schedulerName(new SchedulerName.Fixed(config.replicaName()))
                .threads(config.threads())
                .executorService(new LookAgainAfterEach(config.threads(), this::checkForDueWork))
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
     * Something the operation waits for is being recorded in {@code tx}: the operation is marked
     * woken and, unless its job is running right now, the job becomes due now — in the same
     * transaction, so one commit covers both. A running job finds the mark itself (see the class
     * comment). At commit the local scheduler looks at once and the other replicas are NOTIFYed.
     */
    public void wake(Tx tx, String jobId) {
        if (!tx.operations().markWoken(jobId, clock.instant())) {
            return; // it has ended
        }
        try {
            client.reschedule(TaskInstanceId.of(TASK_NAME, jobId), clock.instant());
        } catch (TaskInstanceException running) {
            // Picked (running, or just picked by a poll): that run reads the result after this
            // commits, or finds the mark when it ends. Nothing is written here.
            wokenWhileRunning.increment();
            return;
        }
        wokenMadeDue.increment();
        tx.notify(NOTIFY_CHANNEL, "");
        tx.afterCommit(this::checkForDueWork);
    }

    /** Look for due executions now (new work here, or NOTIFYed by another replica). */
    public void checkForDueWork() {
        Scheduler s = scheduler;
        if (s != null) {
            s.triggerCheckForDueExecutions();
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
        Scheduler s = scheduler;
        if (s != null) {
            s.stop();
        }
    }

    /**
     * db-scheduler's execution threads, with one addition: after every execution has finished (and
     * stopped counting against the thread limit), the scheduler looks for due work again. Without
     * it a job made due while every thread was busy would wait for the next poll: db-scheduler
     * drops a wake-up that finds no free thread.
     */
    static final class LookAgainAfterEach extends AbstractExecutorService {
        private final ExecutorService threads;
        private final Runnable lookAgain;

        LookAgainAfterEach(int threads, Runnable lookAgain) {
            AtomicInteger n = new AtomicInteger();
            this.threads = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "db-scheduler-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            this.lookAgain = lookAgain;
        }

        @Override
        public void execute(Runnable command) {
            threads.execute(() -> {
                try {
                    command.run();
                } finally {
                    lookAgain.run();
                }
            });
        }

        @Override
        public void shutdown() {
            threads.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return threads.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return threads.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return threads.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return threads.awaitTermination(timeout, unit);
        }
    }
}
