package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.ScalingActivity;
import dev.spinup.controlplane.postgres.Database;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A region's scaling decisions, in PostgreSQL: one in flight per region whatever the number of
 * replicas deciding at the same moment; a decision goes decided → requested → fulfilled or
 * failed and then the region may decide again; what a crashed replica decided stays in flight
 * for the next one to finish.
 */
class ScalingDecisionsTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    static Database db;
    static final Clock clock = Clock.systemUTC();

    @BeforeAll
    static void start() {
        db = new Database(pg.config());
        db.migrate();
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @Test
    void replicasDecidingAtTheSameMomentMakeOneDecision() throws Exception {
        String region = region("race");
        int replicas = 6; // within the pool (10), each holding its transaction open at the barrier
        CyclicBarrier together = new CyclicBarrier(replicas);
        ExecutorService pool = Executors.newFixedThreadPool(replicas);
        List<Future<Optional<ScalingActivity>>> decisions = new ArrayList<>();
        try {
            for (int i = 0; i < replicas; i++) {
                int replica = i;
                decisions.add(pool.submit(() -> db.inTransaction(tx -> {
                    try {
                        together.await(30, TimeUnit.SECONDS); // every transaction open, then all insert
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return tx.scaling().decide(Ids.newId(clock), region, 1, 3, "replica " + replica, clock.instant());
                })));
            }
            List<ScalingActivity> made = new ArrayList<>();
            for (var d : decisions) {
                d.get(60, TimeUnit.SECONDS).ifPresent(made::add);
            }
            assertThat(made).as("decisions recorded").hasSize(1);
            Optional<ScalingActivity> inFlight = db.read(tx -> tx.scaling().inFlight(region));
            assertThat(inFlight).as("the one in flight is the one recorded").contains(made.getFirst());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aDecisionRunsItsCourseAndThenTheRegionMayDecideAgain() {
        String region = region("course");
        Instant t0 = clock.instant();
        ScalingActivity first = db.inTransaction(
                        tx -> tx.scaling().decide(Ids.newId(clock), region, 2, 4, "headroom 3 of 20 hobby", t0))
                .orElseThrow();
        assertThat(first.state()).isEqualTo(ScalingActivity.State.DECIDED);
        Optional<ScalingActivity> second =
                db.inTransaction(tx -> tx.scaling().decide(Ids.newId(clock), region, 2, 5, "again", t0));
        assertThat(second).as("a second decision while one is in flight").isEmpty();
        assertThat(db.<List<ScalingActivity>>read(tx -> tx.scaling().allInFlight()))
                .as("what a replica that died now would leave for the next")
                .extracting(ScalingActivity::id)
                .contains(first.id());

        assertThat(db.<Boolean>inTransaction(tx -> tx.scaling().requested(first.id(), "activity-1", t0)))
                .isTrue();
        assertThat(db.<Boolean>inTransaction(tx -> tx.scaling().requested(first.id(), "activity-2", t0)))
                .as("asked once: a replayed request changes nothing")
                .isFalse();
        ScalingActivity requested = db.read(tx -> tx.scaling().inFlight(region)).orElseThrow();
        assertThat(requested.state()).isEqualTo(ScalingActivity.State.REQUESTED);
        assertThat(requested.providerActivity()).isEqualTo("activity-1");

        assertThat(db.<Boolean>inTransaction(
                        tx -> tx.scaling().ended(first.id(), false, "InsufficientInstanceCapacity", t0)))
                .isTrue();
        assertThat(db.<Boolean>inTransaction(tx -> tx.scaling().ended(first.id(), true, null, t0)))
                .as("an ended activity stays as it ended")
                .isFalse();
        Optional<ScalingActivity> none = db.read(tx -> tx.scaling().inFlight(region));
        assertThat(none).isEmpty();
        Optional<ScalingActivity> retry =
                db.inTransaction(tx -> tx.scaling().decide(Ids.newId(clock), region, 2, 4, "retry", t0));
        assertThat(retry).as("a new decision once the last one ended").isPresent();
    }

    @Test
    void aDecisionMustGrowTheRegion() {
        String region = region("shrink");
        assertThat(catchThrowable(() -> db.inTransaction(
                        tx -> tx.scaling().decide(Ids.newId(clock), region, 3, 3, "nothing to add", clock.instant()))))
                .as("hosts_wanted must exceed hosts_before")
                .isNotNull();
    }

    private static String region(String name) {
        String id = name + "-" + Long.toHexString(System.nanoTime());
        db.inTransactionVoid(tx -> tx.fleet().ensureRegion(id, name));
        return id;
    }
}
