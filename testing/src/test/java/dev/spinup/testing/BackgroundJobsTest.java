package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.kagkarlsson.scheduler.testhelper.ManualScheduler;
import com.github.kagkarlsson.scheduler.testhelper.TestHelper;
import dev.spinup.controlplane.BackgroundJobs;
import dev.spinup.controlplane.agents.AgentCommands;
import dev.spinup.controlplane.agents.AgentSessions;
import dev.spinup.controlplane.agents.CommandOutbox;
import dev.spinup.controlplane.agents.CommandRenderer;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.fleet.AccessKeys;
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
import java.util.List;
import java.util.Map;
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
    static final Duration LOSS_GRACE = Duration.ofMinutes(10);
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
        db.withHandle(h -> h.execute("TRUNCATE scheduled_tasks, hosts, access_keys CASCADE"));
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
                        new dev.spinup.controlplane.transitions.HostLoss(
                                db,
                                null, // no workspace here: no RECOVER is started
                                LEASE,
                                LOSS_GRACE,
                                (tx, job) -> {},
                                null, // nor a host to send routes to
                                clock,
                                meters),
                        scans::incrementAndGet,
                        Duration.ofMinutes(10),
                        new SnapshotSweep(db, storage, SnapshotSweep.Config.defaults(), clock, meters),
                        accessKeys(clock),
                        new dev.spinup.controlplane.fleet.Scaler(
                                db,
                                null,
                                dev.spinup.controlplane.core.FlavorCatalog.defaults(),
                                r -> "",
                                dev.spinup.controlplane.fleet.FleetTimings.defaults(),
                                (tx, job) -> {},
                                dev.spinup.controlplane.engine.StepHooks.NONE,
                                host -> {},
                                clock,
                                meters),
                        null))
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
    void aHostSilentPastItsLeaseAndTheLossGraceIsLostAndAudited() {
        UUID host = Ids.newId(Clock.systemUTC());
        db.inTransactionVoid(tx -> {
            tx.fleet().registerHost(host, "jobs", "jobs-silent", new Envelope(4, 8, 50));
            tx.fleet().heartbeat(host, scheduler.getClock().now());
        });
        scheduler.runAnyDueExecutions();
        scheduler.tick(LEASE.plusSeconds(6));
        scheduler.runAnyDueExecutions();
        assertThat(state(host)).isEqualTo(HostState.UNHEALTHY);

        scheduler.tick(LOSS_GRACE.minusSeconds(30));
        scheduler.runAnyDueExecutions();
        assertThat(state(host)).as("inside the grace").isEqualTo(HostState.UNHEALTHY);

        scheduler.tick(Duration.ofSeconds(30).plus(BackgroundJobs.HOST_HEALTH_EVERY));
        scheduler.runAnyDueExecutions();
        assertThat(state(host)).as("past the lease and the grace").isEqualTo(HostState.LOST);
        assertThat(meters.counter("spinup_hosts_lost", "how", "silent").count()).isEqualTo(1);
        List<String> audited = db.withHandle(h -> h.createQuery("SELECT actor FROM audit_log"
                        + " WHERE event_type = 'host.lost' AND event_data->>'hostId' = :host")
                .bind("host", host.toString())
                .mapTo(String.class)
                .list());
        assertThat(audited).containsExactly("system");
    }

    @Test
    void afterAnOutageHostsAreNotLostBeforeTheControlPlaneHasListenedForTheLeaseAndTheGrace() {
        UUID host = Ids.newId(Clock.systemUTC());
        db.inTransactionVoid(tx -> {
            tx.fleet().registerHost(host, "jobs", "jobs-before-outage", new Envelope(4, 8, 50));
            // its last heartbeat came an hour before this control plane started
            tx.fleet().heartbeat(host, scheduler.getClock().now().minus(Duration.ofHours(1)));
        });
        scheduler.runAnyDueExecutions();
        scheduler.tick(BackgroundJobs.HOST_HEALTH_EVERY.plusSeconds(1));
        scheduler.runAnyDueExecutions();
        assertThat(state(host))
                .as("silent, but only as long as nobody listened")
                .isEqualTo(HostState.UNHEALTHY);

        scheduler.tick(LEASE.plus(LOSS_GRACE));
        scheduler.runAnyDueExecutions();
        assertThat(state(host))
                .as("silent for the lease and the grace since the start")
                .isEqualTo(HostState.LOST);
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

    @Test
    void anAccessKeyIsMadeAndSentToEveryEdgeALeadBeforeItSigns() {
        UUID host = Ids.newId(Clock.systemUTC());
        db.inTransactionVoid(tx -> {
            tx.fleet().registerHost(host, "jobs", "jobs-host", new Envelope(4, 8, 50));
            tx.fleet().openSession(host, "127.0.0.1:8080");
        });
        scheduler.runAnyDueExecutions();
        var first = db.read(tx -> tx.access().newest()).orElseThrow();
        assertThat(first.signsFrom())
                .as("a new installation signs at once")
                .isEqualTo(scheduler.getClock().now());
        assertThat(tablesSentTo(host)).as("pushed to the host's edge").isEqualTo(1);

        // Made two leads before it is due, so it is published a lead ahead even if the job runs late.
        scheduler.tick(AccessKeys.DEFAULT_ROTATION
                .minus(AccessKeys.DEFAULT_LEAD.multipliedBy(2))
                .minus(BackgroundJobs.ACCESS_KEYS_EVERY));
        scheduler.runAnyDueExecutions();
        assertThat(db.read(tx -> tx.access().newest()).orElseThrow().keyId()).isEqualTo(first.keyId());

        scheduler.tick(BackgroundJobs.ACCESS_KEYS_EVERY.plusSeconds(1));
        scheduler.runAnyDueExecutions();
        var next = db.read(tx -> tx.access().newest()).orElseThrow();
        assertThat(next.keyId()).isNotEqualTo(first.keyId());
        assertThat(next.signsFrom()).isEqualTo(first.signsFrom().plus(AccessKeys.DEFAULT_ROTATION));
        assertThat(tablesSentTo(host)).isEqualTo(2);
        Instant now = scheduler.getClock().now();
        assertThat(db.read(tx -> accessKeys(Clock.systemUTC()).signing(tx, now))
                        .orElseThrow()
                        .keyId())
                .as("until it signs, the old key does")
                .isEqualTo(first.keyId());
        assertThat(db.read(tx -> AccessKeys.published(tx, now)).stream()
                        .map(dev.spinup.controlplane.store.AccessStore.Key::keyId))
                .as("the hosts know both")
                .containsExactly(next.keyId(), first.keyId());
        Instant later = next.signsFrom().plus(AccessKeys.URL_LIFETIME).plusSeconds(1);
        assertThat(db.read(tx -> accessKeys(Clock.systemUTC()).signing(tx, later))
                        .orElseThrow()
                        .keyId())
                .isEqualTo(next.keyId());
        assertThat(db.read(tx -> AccessKeys.published(tx, later)).stream()
                        .map(dev.spinup.controlplane.store.AccessStore.Key::keyId))
                .as("a URL lifetime after the switch, the old key is no longer accepted")
                .containsExactly(next.keyId());
    }

    /** Key rotation on the real outbox (no session holds the host, so nothing is sent: it waits there). */
    private AccessKeys accessKeys(Clock clock) {
        CommandOutbox outbox = new CommandOutbox();
        AgentSessions sessions =
                new AgentSessions(db, outbox, new CommandRenderer(Map.of()), (tx, job) -> {}, clock, meters);
        return new AccessKeys(
                db, new AgentCommands(sessions, outbox), clock, AccessKeys.DEFAULT_ROTATION, AccessKeys.DEFAULT_LEAD);
    }

    private int tablesSentTo(UUID host) {
        return db.read(tx -> tx.commands().outstanding(host, java.util.List.of()))
                .size();
    }

    private HostState state(UUID host) {
        return db.read(tx -> tx.fleet().findHost(host)).orElseThrow().state();
    }
}
