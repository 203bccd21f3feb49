package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.engine.StepHooks;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A run that a result starts on the replica it arrives at (continuing in process) holds its job as
 * db-scheduler's own runs do: it heartbeats it. Held here for five times the window after which a
 * job whose heartbeat stopped is taken over (4 × 200 ms), with a second replica running jobs, the
 * run keeps its job, and the operation ends with each command run once.
 */
class ContinuationHeartbeatTest {
    static final HoldContinuation hold = new HoldContinuation();

    @RegisterExtension
    static final SpinUpExtension spinup =
            SpinUpExtension.with(b -> b.hooks(hold).jobHeartbeat(Duration.ofMillis(200)));

    @Test
    void aLongRunContinuedInProcessKeepsItsJobAndRunsEachStepOnce() throws Exception {
        SpinUpCluster cluster = spinup.cluster();
        ControlPlane other = cluster.startReplica(true);
        SpinUpCluster.TestHost host = cluster.startAgent(new Envelope(8, 16, 100));
        hold.step = "start";
        Operation op = cluster.product()
                .createWorkspace(Workspaces.hobby("held").build())
                .getOperation();
        assertThat(hold.entered.await(30, TimeUnit.SECONDS))
                .as("the START_VM result continued the create on the replica it reached")
                .isTrue();
        Instant heldAt = Instant.now();
        JobRow claimed = job(cluster, op.getId());
        assertThat(claimed.picked()).as("claimed: picked").isTrue();

        JobRow later = Eventually.await(
                Duration.ofSeconds(30),
                "the held run's heartbeat to move on past five takeover windows",
                () -> job(cluster, op.getId()),
                r -> r.lastHeartbeat() != null && r.lastHeartbeat().isAfter(heldAt.plusSeconds(4)));
        assertThat(later.version()).as("no replica took the job over").isEqualTo(claimed.version());
        assertThat(later.picked()).isTrue();

        hold.release.countDown();
        Operation done = Workspaces.awaitDone(cluster.product(), op.getId(), Duration.ofSeconds(60));
        assertThat(done.getStatus())
                .as(done.getError().getMessage())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        for (String step : List.of("provision", "start", "routes")) {
            assertThat(host.agent().timesExecuted(op.getId() + "/" + step))
                    .as("times %s ran", step)
                    .isEqualTo(1);
        }
        for (ControlPlane replica : List.of(cluster.controlPlane(), other)) {
            assertThat(Workspaces.metric(replica.metricsPort(), "spinup_operation_jobs_lost_total")
                            .orElse(-1))
                    .isZero();
        }
    }

    record JobRow(boolean picked, long version, Instant lastHeartbeat) {}

    private static JobRow job(SpinUpCluster cluster, String jobId) {
        return cluster.database()
                .withHandle(h -> h.createQuery(
                                "SELECT picked, version, last_heartbeat FROM scheduled_tasks WHERE task_instance = :id")
                        .bind("id", jobId)
                        .map((rs, ctx) -> new JobRow(
                                rs.getBoolean("picked"),
                                rs.getLong("version"),
                                rs.getTimestamp("last_heartbeat") == null
                                        ? null
                                        : rs.getTimestamp("last_heartbeat").toInstant()))
                        .one());
    }

    /** Holds the first run a result of {@code step} continues, until released. */
    static final class HoldContinuation implements StepHooks {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile String step;

        @Override
        public void continuing(dev.spinup.controlplane.core.Operation operation, String at) {
            if (!at.equals(step) || entered.getCount() == 0) {
                return;
            }
            entered.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
