package dev.spinup.controlplane.engine;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceException;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.spinup.controlplane.store.OperationStore;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs operations as db-scheduler executions of the task "operation" (task_instance = the
 * operation's job_id). A run ({@link JobRuns}) runs steps until the operation waits, then
 * reschedules the job for the wait's deadline; {@link #wake(Tx, String)} brings it forward when
 * what it waits for has arrived. No thread ever blocks on an agent.
 *
 * <p>A wake-up is never lost. Whoever records a result marks the operation woken under its row
 * lock, in the result's own transaction, and, unless a run holds the job, either claims the job
 * for a run on this replica that starts at commit or makes it due now. A run lets go of the job
 * only in the transaction of its last step, which holds the same row lock: a result recorded
 * before it is seen by that step, one recorded after it finds the job free. A result that finds
 * a run holding the job (between two of its steps, or in a call-out) is seen by that run's next
 * step. And every finished execution asks db-scheduler to look for due work again, so a job made
 * due while every thread was busy is picked as soon as one is free, not at the next poll.
 */
public final class OperationEngine implements AutoCloseable {
    public static final String TASK_NAME = "operation";
    public static final String NOTIFY_CHANNEL = "spinup_jobs";
    private static final Logger log = LoggerFactory.getLogger(OperationEngine.class);

    /** spinup_operation_wakeups by path: see {@link #wake}. */
    private final Counter wokenMadeDue;

    private final Counter wokenWhileRunning;
    private final Counter wokenContinued;
    private final DataSource dataSource;
    private final Clock clock;
    private final Config config;
    private final CustomTask<Void> task;
    private final SchedulerClient client;
    private final JobRuns runs;
    private volatile Scheduler scheduler;

    /**
     * {@code threads == 0}: this replica runs no jobs (it serves the API and agent sessions only).
     * A replica that stops heartbeating its executions for {@code heartbeatInterval} times
     * {@code missedHeartbeats} is presumed dead, and another replica resumes its operations.
     * An operation created here, or a result that arrives here, starts the job's next run here at
     * commit ({@link JobRuns}), up to {@code threads} such runs at once besides db-scheduler's
     * {@code threads}.
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
        this.dataSource = dataSource;
        this.clock = clock;
        // made here, so the documented series exist from start, at 0, and a rate() sees their first increase
        this.wokenMadeDue = meters.counter("spinup_operation_wakeups", "path", "made_due");
        this.wokenWhileRunning = meters.counter("spinup_operation_wakeups", "path", "job_running");
        this.wokenContinued = meters.counter("spinup_operation_wakeups", "path", "continued_in_process");
        this.config = config;
        this.runs = new JobRuns(db, runner, config, clock, meters, this::checkForDueWork);
        this.task = Tasks.custom(TASK_NAME, Void.class)
                .onFailure((FailureHandler<Void>) (complete, ops) -> {
                    // The run could not release the job (the database went away): try again shortly.
                    ops.reschedule(complete, clock.instant().plus(config.retryDelay()));
                })
                .execute((instance, context) -> {
                    runs.runPicked(instance.getId(), context.getExecution().version);
                    return (complete, ops) -> {}; // the run has released or removed the job itself
                });
        this.client = SchedulerClient.Builder.create(dataSource, task).build();
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
     * The job is claimed for its first run here, which starts at commit, when this replica has
     * room; else the local scheduler is told to look at commit, and the insert trigger NOTIFYs
     * the others.
     */
    public void schedule(Tx tx, dev.spinup.controlplane.core.Operation op) {
        client.schedule(task.instance(op.jobId()), clock.instant());
        if (runs.claim(tx, op.jobId(), new OperationStore.Woken(op.verb(), op.params()), false)
                == JobRuns.Claim.CLAIMED) {
            return;
        }
        tx.afterCommit(this::checkForDueWork);
    }

    /**
     * Something the operation waits for is being recorded in {@code tx}: the operation is marked
     * woken and, unless a run holds its job (that run's next step sees it, see the class comment),
     * the job is claimed for a run here that starts when {@code tx} commits, or, with
     * no room for it here, made due now: at commit the local scheduler looks at once and the other
     * replicas are NOTIFYed. One commit covers the result and what follows from it.
     */
    public void wake(Tx tx, String jobId) {
        Optional<OperationStore.Woken> woken = tx.operations().markWoken(jobId, clock.instant());
        if (woken.isEmpty()) {
            return; // it has ended
        }
        switch (runs.claim(tx, jobId, woken.get(), true)) {
            case CLAIMED -> {
                wokenContinued.increment();
                return;
            }
            case RUNNING -> {
                wokenWhileRunning.increment();
                return;
            }
            case NO_ROOM -> {}
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
        Scheduler s = scheduler;
        if (s != null) {
            s.stop();
        }
        runs.close();
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
