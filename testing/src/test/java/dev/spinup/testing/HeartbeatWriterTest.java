package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.fleet.HeartbeatWriter;
import dev.spinup.controlplane.postgres.Database;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Heartbeats written in groups: every one lands, and a host whose row is locked holds up only itself. */
class HeartbeatWriterTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    static Database db;
    static final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    static HeartbeatWriter writer;

    @BeforeAll
    static void start() {
        db = new Database(pg.config());
        db.migrate();
        db.inTransactionVoid(tx -> tx.fleet().ensureRegion("r", "R"));
        writer = new HeartbeatWriter(db, (tx, job) -> {}, meters);
    }

    @AfterAll
    static void stop() {
        writer.close();
        db.close();
    }

    private static UUID newHost() {
        UUID id = Ids.newId(Clock.systemUTC());
        db.inTransactionVoid(tx -> tx.fleet().registerHost(id, "r", "h-" + id, new Envelope(4, 8, 50)));
        return id;
    }

    private static Instant lastHeartbeat(UUID host) {
        return db.withHandle(h -> h.createQuery("SELECT last_heartbeat_at FROM hosts WHERE id = :id")
                .bind("id", host)
                .mapTo(Instant.class)
                .one());
    }

    @Test
    void manyHostsHeartbeatingAtOnceAreAllRecordedEachWithItsOwnTime() throws Exception {
        List<UUID> hosts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            hosts.add(newHost());
        }
        Instant base = Instant.now().truncatedTo(ChronoUnit.MICROS);
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < hosts.size(); i++) {
                int n = i;
                calls.add(callers.submit(() -> writer.record(hosts.get(n), base.plusSeconds(n))));
            }
            for (Future<?> call : calls) {
                call.get(30, TimeUnit.SECONDS);
            }
        }
        for (int i = 0; i < hosts.size(); i++) {
            assertThat(lastHeartbeat(hosts.get(i))).isEqualTo(base.plusSeconds(i));
        }
        var groups = meters.get("spinup_heartbeat_group_size").summary();
        assertThat(groups.totalAmount()).as("heartbeats written").isGreaterThanOrEqualTo(200);
    }

    @Test
    void anUnhealthyHostIsHealthyAgainOnceItsHeartbeatReturns() {
        UUID host = newHost();
        db.withHandle(h -> h.createUpdate("UPDATE hosts SET state = 'unhealthy' WHERE id = :id")
                .bind("id", host)
                .execute());
        writer.record(host, Instant.now());
        String state = db.withHandle(h -> h.createQuery("SELECT state FROM hosts WHERE id = :id")
                .bind("id", host)
                .mapTo(String.class)
                .one());
        assertThat(state).isEqualTo("healthy");
    }

    @Test
    void aHostWhoseRowIsLockedWaitsAloneAndIsWrittenOnceTheLockGoes() throws Exception {
        UUID busy = newHost();
        UUID other = newHost();
        Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
        try (Connection lock = db.openDedicatedConnection();
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            lock.setAutoCommit(false);
            lock.createStatement().execute("SELECT 1 FROM hosts WHERE id = '" + busy + "' FOR UPDATE");
            Future<?> blocked = callers.submit(() -> writer.record(busy, at));
            callers.submit(() -> writer.record(other, at)).get(30, TimeUnit.SECONDS);
            assertThat(lastHeartbeat(other)).isEqualTo(at);
            assertThat(blocked)
                    .as("the busy host's heartbeat waits for its row")
                    .isNotDone();
            lock.commit();
            blocked.get(30, TimeUnit.SECONDS);
        }
        assertThat(lastHeartbeat(busy)).isEqualTo(at);
    }

    @Test
    void closingFailsAHeartbeatStillWaitingForItsRowInsteadOfLeavingItHanging() throws Exception {
        UUID busy = newHost();
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        HeartbeatWriter closing = new HeartbeatWriter(db, (tx, job) -> {}, own);
        try (Connection lock = db.openDedicatedConnection();
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            lock.setAutoCommit(false);
            lock.createStatement().execute("SELECT 1 FROM hosts WHERE id = '" + busy + "' FOR UPDATE");
            Future<?> blocked = callers.submit(() -> closing.record(busy, Instant.now()));
            Eventually.await(
                    Duration.ofSeconds(30),
                    "a group to skip the locked row",
                    () -> own.get("spinup_heartbeat_group_size").summary().count() > 0);
            closing.close();
            assertThatThrownBy(() -> blocked.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(java.util.concurrent.ExecutionException.class)
                    .hasRootCauseInstanceOf(IllegalStateException.class);
            lock.rollback();
        }
    }
}
