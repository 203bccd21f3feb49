package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.kagkarlsson.scheduler.testhelper.ManualScheduler;
import com.github.kagkarlsson.scheduler.testhelper.TestHelper;
import dev.spinup.controlplane.BackgroundJobs;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.fleet.HostHealth;
import dev.spinup.controlplane.postgres.Database;
import dev.spinup.controlplane.snapshots.SnapshotSweep;
import dev.spinup.controlplane.storage.ObjectStorage;
import dev.spinup.dev.EmbeddedS3;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recurring jobs as db-scheduler runs them, at test speed: a {@link ManualScheduler} on the
 * real database, with time moved by hand (one clock for db-scheduler and for the jobs), so hours
 * of schedule pass in milliseconds and nothing waits on a timer.
 */
class BackgroundJobsTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @TempDir
    Path dir;

    static final Duration LEASE = Duration.ofSeconds(30);
    Database db;
    EmbeddedS3 s3;
    ObjectStorage storage;
    ManualScheduler scheduler;
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    AtomicInteger scans = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        db = new Database(pg.config());
        db.migrate();
        db.withHandle(h -> h.execute("TRUNCATE scheduled_tasks, hosts CASCADE"));
        s3 = EmbeddedS3.start(dir.resolve("s3"), 0, "jobs", "jobs-secret", "jobs");
        storage =
                new ObjectStorage(new ObjectStorage.Config(s3.endpoint(), "us-east-1", "jobs", "jobs", "jobs-secret"));
        com.github.kagkarlsson.scheduler.testhelper.SettableClock time =
                new com.github.kagkarlsson.scheduler.testhelper.SettableClock();
        time.set(Instant.now().truncatedTo(ChronoUnit.MILLIS));
        Clock clock = new Clock() {
            @Override
            public Instant instant() {
                return time.now();
            }

            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                throw new UnsupportedOperationException();
            }
        };
        scheduler = TestHelper.createManualScheduler(db.pool())
                .clock(time)
                .startTasks(BackgroundJobs.tasks(
                        new HostHealth(db, LEASE, clock, meters),
                        scans::incrementAndGet,
                        Duration.ofMinutes(10),
                        new SnapshotSweep(db, storage, SnapshotSweep.Config.defaults(), clock, meters)))
                .build();
        scheduler.start();
        db.inTransactionVoid(tx -> tx.fleet().ensureRegion("jobs", "Jobs"));
    }

    @AfterEach
    void stop() throws Exception {
        scheduler.stop();
        storage.close();
        s3.close();
        db.close();
    }

    @Test
    void aHostWhoseHeartbeatsStopIsMarkedUnhealthyByTheNextCheckPastItsLease() {
        UUID host = Ids.newId(Clock.systemUTC());
        db.inTransactionVoid(tx -> {
            tx.fleet().registerHost(host, "jobs", "jobs-host", new Envelope(4, 8, 50));
            tx.fleet().heartbeat(host, scheduler.getClock().now());
        });

        scheduler.runAnyDueExecutions();
        scheduler.tick(LEASE.minusSeconds(5));
        scheduler.runAnyDueExecutions();
        assertThat(state(host)).as("inside its lease").isEqualTo(HostState.HEALTHY);

        scheduler.tick(BackgroundJobs.HOST_HEALTH_EVERY.plusSeconds(1));
        scheduler.runAnyDueExecutions();
        assertThat(state(host)).as("one check after its lease ran out").isEqualTo(HostState.UNHEALTHY);
        assertThat(meters.counter("spinup_hosts_marked_unhealthy").count()).isEqualTo(1);
    }

    @Test
    void thePeriodicSnapshotScanRunsOncePerIntervalWhateverTheTicks() {
        scheduler.runAnyDueExecutions();
        int first = scans.get();
        for (int i = 0; i < 9; i++) {
            scheduler.tick(Duration.ofMinutes(1));
            scheduler.runAnyDueExecutions();
        }
        assertThat(scans.get()).as("within the first ten minutes").isEqualTo(first);
        scheduler.tick(Duration.ofMinutes(1).plusSeconds(1));
        scheduler.runAnyDueExecutions();
        assertThat(scans.get()).isEqualTo(first + 1);
    }

    @Test
    void anObjectNoRecordStandsForIsSweptOnlyOnceItIsOlderThanTheGrace() throws Exception {
        String orphan = "workspaces/" + UUID.randomUUID() + "/snapshots/" + UUID.randomUUID() + ".tar.gz";
        HttpResponse<String> put = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(storage.presignPut(orphan, Duration.ofMinutes(5))
                                        .toURI())
                                .PUT(HttpRequest.BodyPublishers.ofString("orphan"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(200);
        Path stored = dir.resolve("s3").resolve("jobs").resolve(orphan);

        for (int hour = 1; hour <= 23; hour++) {
            scheduler.tick(Duration.ofHours(1));
            scheduler.runAnyDueExecutions();
        }
        assertThat(stored).as("23 hours old: within the grace").exists();

        scheduler.tick(Duration.ofHours(1).plusMinutes(1));
        scheduler.runAnyDueExecutions();
        assertThat(stored).as("past the grace").doesNotExist();
        assertThat(meters.counter("spinup_snapshot_objects_swept").count()).isEqualTo(1);
    }

    private HostState state(UUID host) {
        return db.read(tx -> tx.fleet().findHost(host)).orElseThrow().state();
    }
}
