package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.drivers.NoopVmDriver;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationStep;
import dev.spinup.api.v1.RestoreWorkspaceRequest;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.engine.StepHooks;
import dev.spinup.controlplane.engine.StepTimeouts;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An agent's result wakes its operation at once, however it meets the job: while the run is still
 * inside its own step, after the step let go of the job but before the run returned, or with
 * every job thread busy. Many
 * operations run at once against agents that answer instantly (the no-op driver), on cores another
 * process keeps busy, so results land in every window. db-scheduler's polling is set far beyond the
 * test (2 minutes) and every step's deadline to 20 s: a lost wake-up shows as a step that ends only
 * at its deadline.
 */
class WakeUpTest {
    static SpinUpCluster cluster;
    static CpuLoad load;

    /** Far below every step deadline (a minute for routes, five for provision and start). */
    static final Duration BOUND = Duration.ofSeconds(5);

    static final Duration DEADLINE = Duration.ofSeconds(20);
    static final HoldUntilResult hold = new HoldUntilResult();
    static final int WORKSPACES = 24;
    static final int ROUNDS = 4;

    @RegisterExtension
    static final SpinUpExtension spinup =
            SpinUpExtension.with(b -> b.hooks(hold).stepTimeouts(StepTimeouts.all(DEADLINE)));

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        cluster.startAgentWithDriver(new Envelope(1000, 1000, 10000), new NoopVmDriver());
        cluster.startAgentWithDriver(new Envelope(1000, 1000, 10000), new NoopVmDriver());
        load = CpuLoad.start(spinup.dir().resolve("cpu-load.log"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (load != null) {
            load.close();
        }
    }

    @Test
    void everyResultWakesItsOperationWellBeforeTheStepDeadline() throws Exception {
        hold.enabled = false;
        runAndCheckLags("busy threads, no hold");
    }

    @Test
    void aResultArrivingAsItsJobEndsItsRunStillWakesIt() throws Exception {
        hold.enabled = true;
        try {
            runAndCheckLags("every job held until its result is recorded");
        } finally {
            hold.enabled = false;
        }
        assertThat(hold.held.get()).as("jobs held with their result recorded").isPositive();
    }

    private void runAndCheckLags(String scenario) throws Exception {
        List<Operation> all = Collections.synchronizedList(new ArrayList<>());
        List<String> workspaces = inParallel(WORKSPACES, i -> {
            Operation op = done(cluster.product()
                    .createWorkspace(Workspaces.hobby("wake-" + i).build())
                    .getOperation());
            all.add(op);
            return op.getWorkspaceId();
        });
        for (int round = 0; round < ROUNDS; round++) {
            inParallel(WORKSPACES, i -> {
                String ws = workspaces.get(i);
                all.add(done(cluster.product()
                        .suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .setWorkspaceId(ws)
                                .build())
                        .getOperation()));
                all.add(done(cluster.product()
                        .restoreWorkspace(RestoreWorkspaceRequest.newBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .setWorkspaceId(ws)
                                .build())
                        .getOperation()));
                return ws;
            });
        }

        List<Duration> lags = new ArrayList<>();
        for (Operation op : all) {
            assertThat(op.getStatus()).as("%s", op).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
            for (OperationStep step : op.getStepsList()) {
                Instant result = resultRecordedAt(op.getId() + "/" + step.getName());
                Instant done = Instant.ofEpochSecond(
                        step.getCompletedAt().getSeconds(),
                        step.getCompletedAt().getNanos());
                Duration lag = Duration.between(result, done);
                lags.add(lag);
                assertThat(lag)
                        .as("result of %s/%s recorded at %s, step done at %s", op.getId(), step.getName(), result, done)
                        .isLessThan(BOUND);
            }
        }
        Collections.sort(lags);
        System.out.printf(
                "wake-ups (%s): %d steps, result -> step done p50 %d ms, p99 %d ms, max %d ms%n",
                scenario,
                lags.size(),
                lags.get(lags.size() / 2).toMillis(),
                lags.get(lags.size() * 99 / 100).toMillis(),
                lags.getLast().toMillis());
        assertThat(lags).hasSize(WORKSPACES * (3 + ROUNDS * 4));
    }

    /**
     * Holds a run that has just committed its wait until the agent's result for that step is
     * recorded: the result then always meets the run after its step let go of the job.
     */
    static final class HoldUntilResult implements StepHooks {
        volatile boolean enabled;
        final AtomicInteger held = new AtomicInteger();

        @Override
        public void waiting(dev.spinup.controlplane.core.Operation operation, String step) {
            if (!enabled) {
                return;
            }
            String command = operation.id() + "/" + step;
            Instant until = Instant.now().plusSeconds(5);
            while (Instant.now().isBefore(until)) {
                boolean recorded = cluster.database()
                        .withHandle(h -> h.createQuery(
                                        "SELECT completed_at IS NOT NULL FROM agent_commands WHERE command_id = :id")
                                .bind("id", command)
                                .mapTo(Boolean.class)
                                .findOne()
                                .orElse(false));
                if (recorded) {
                    held.incrementAndGet();
                    return;
                }
                LockSupport.parkNanos(Duration.ofMillis(2).toNanos()); // polling the outbox, bounded above
            }
        }
    }

    private static Instant resultRecordedAt(String commandId) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT completed_at FROM agent_commands WHERE command_id = :id")
                        .bind("id", commandId)
                        .mapTo(Timestamp.class)
                        .one())
                .toInstant();
    }

    /** Waits past any step deadline, so a lost wake-up fails on its lag rather than on this wait. */
    private static Operation done(Operation op) {
        return Eventually.await(
                Duration.ofMinutes(3),
                "operation " + op.getId() + " to finish",
                () -> cluster.product()
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getOperation(dev.spinup.api.v1.GetOperationRequest.newBuilder()
                                .setOperationId(op.getId())
                                .build())
                        .getOperation(),
                o -> EnumSet.of(
                                OperationStatus.OPERATION_STATUS_SUCCEEDED,
                                OperationStatus.OPERATION_STATUS_FAILED,
                                OperationStatus.OPERATION_STATUS_ROLLED_BACK)
                        .contains(o.getStatus()));
    }

    private interface Indexed<T> {
        T run(int i) throws Exception;
    }

    private static <T> List<T> inParallel(int n, Indexed<T> task) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(pool.submit((Callable<T>) () -> task.run(index)));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        }
    }
}
