package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.api.v1.CommandResult;
import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.api.v1.UndrainHostRequest;
import dev.spinup.controlplane.core.Envelope;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The commands and events streams are independent: while the control plane cannot consume a
 * host's events (its heartbeat is stuck behind a lock), commands still reach the agent and are
 * acked; and while the agent runs a long command, or receives one of several megabytes, its
 * heartbeats keep coming.
 */
class StreamIndependenceTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.agentHeartbeat(Duration.ofSeconds(1)));

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    static SpinUpCluster.TestHost busyHost;

    @BeforeAll
    static void start() throws java.io.IOException {
        cluster = spinup.cluster();
        host = cluster.startAgent(new Envelope(4, 8, 50));
        // A second host whose workspaces never become ready: its StartVm runs until the start timeout.
        busyHost = cluster.startAgent(
                new Envelope(4, 8, 50),
                Workspaces.guestWithStartScript(spinup.dir().resolve("slow-guest"), "exec sleep 300\n"));
    }

    @Test
    void aStalledEventConsumerDoesNotDelayCommands() {
        cluster.admin()
                .drainHost(DrainHostRequest.newBuilder()
                        .setHostId(busyHost.id().toString())
                        .build())
                .getHost();
        Operation create;
        try {
            create = cluster.product()
                    .createWorkspace(Workspaces.hobby("independent").build())
                    .getOperation();
        } finally {
            cluster.admin()
                    .undrainHost(UndrainHostRequest.newBuilder()
                            .setHostId(busyHost.id().toString())
                            .build())
                    .getHost();
        }
        assertThat(Workspaces.awaitDone(cluster.product(), create.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        String ws = create.getWorkspaceId();

        Handle blocker = cluster.database().jdbi().open();
        try {
            blocker.begin();
            // NO KEY UPDATE: it blocks the heartbeat's UPDATE of the row, not inserts that reference it
            blocker.createQuery("SELECT id FROM hosts WHERE id = :id FOR NO KEY UPDATE")
                    .bind("id", host.id())
                    .mapTo(UUID.class)
                    .one();
            // The heartbeat writer skips the locked row and keeps this host's heartbeat waiting (its
            // event stream with it), while the other host's heartbeats go on being written.
            Instant stalledAt = lastHeartbeat(host);
            Instant otherAt = lastHeartbeat(busyHost);
            Eventually.await(
                    Duration.ofSeconds(30),
                    "three heartbeat intervals of the other host",
                    () -> lastHeartbeat(busyHost).isAfter(otherAt.plusMillis(2500)));
            assertThat(lastHeartbeat(host))
                    .as("the locked host's heartbeats are held back")
                    .isEqualTo(stalledAt);

            Operation suspend = cluster.product()
                    .suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                            .setRequestId("req-" + UUID.randomUUID())
                            .setWorkspaceId(ws)
                            .build())
                    .getOperation();

            Eventually.await(
                    Duration.ofSeconds(30),
                    "StopVm to be delivered and acked",
                    () -> cluster.database()
                            .withHandle(h -> h.createQuery("SELECT state FROM agent_commands WHERE command_id = :id")
                                    .bind("id", suspend.getId() + "/stop")
                                    .mapTo(String.class)
                                    .findOne()
                                    .orElse(""))
                            .equals("acked"));
            Eventually.await(
                    Duration.ofSeconds(30),
                    "the agent to stop the workspace",
                    () -> host.agent()
                            .driver()
                            .find(ws)
                            .map(l -> l.state() != LocalWorkspace.State.RUNNING)
                            .orElse(false));
            assertThat(lastHeartbeat(host))
                    .as("the event stream is still stalled")
                    .isEqualTo(stalledAt);
            blocker.rollback();
            Eventually.await(
                    Duration.ofSeconds(30),
                    "the held-back heartbeats to be written",
                    () -> lastHeartbeat(host).isAfter(stalledAt));

            assertThat(Workspaces.awaitDone(cluster.product(), suspend.getId()).getStatus())
                    .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        } finally {
            if (blocker.isInTransaction()) {
                blocker.rollback();
            }
            blocker.close();
        }
    }

    @Test
    void aHeavyCommandDoesNotDelayHeartbeats() {
        cluster.admin()
                .drainHost(DrainHostRequest.newBuilder()
                        .setHostId(host.id().toString())
                        .build())
                .getHost();
        try {
            Operation create = cluster.product()
                    .createWorkspace(Workspaces.hobby("heavy").build())
                    .getOperation();
            String start = create.getId() + "/start";
            Eventually.await(
                    Duration.ofSeconds(30),
                    "StartVm to be running on the busy host",
                    () -> commandState(start).equals("acked"));
            Instant first = lastHeartbeat(busyHost);
            // While StartVm keeps running (it waits up to 30 s for an app that never listens),
            // heartbeats keep arriving at their own pace.
            Eventually.await(
                    Duration.ofSeconds(10),
                    "three more heartbeats during the command",
                    () -> lastHeartbeat(busyHost).isAfter(first.plusMillis(2500)));
            assertThat(commandState(start)).as("the command is still running").isEqualTo("acked");
        } finally {
            cluster.admin()
                    .undrainHost(UndrainHostRequest.newBuilder()
                            .setHostId(host.id().toString())
                            .build())
                    .getHost();
        }
    }

    @Test
    void aMultiMegabyteCommandGetsThroughWithoutDelayingHeartbeats() throws Exception {
        // 50,000 archived workspaces keep their edge rule on this host, so its routing table (filled
        // in whole when each routes command is sent) is several megabytes: more than gRPC's
        // default 4 MiB limit.
        int archived = 50_000;
        cluster.database()
                .withHandle(h -> h.createUpdate("""
                        INSERT INTO workspaces (id, external_workspace_id, external_user_id, display_name, region_id,
                                                host_id, flavor, vcpu, ram_gb, disk_gb, state, template)
                        SELECT gen_random_uuid(), 'ext-big-' || i, 'user-big',
                               'An archived workspace with a long name #' || i,
                               :region, :host, 'hobby', 1, 1, 5, 'archived', 'starter'
                        FROM generate_series(1, :n) AS i""")
                        .bind("region", SpinUpCluster.REGION)
                        .bind("host", host.id())
                        .bind("n", archived)
                        .execute());
        cluster.admin()
                .drainHost(DrainHostRequest.newBuilder()
                        .setHostId(busyHost.id().toString())
                        .build())
                .getHost();
        AtomicLong longestGap = new AtomicLong();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = Thread.ofVirtual().start(() -> {
            Instant last = lastHeartbeat(host);
            Instant since = Instant.now();
            while (sampling.get()) {
                Instant seen = lastHeartbeat(host);
                Instant now = Instant.now();
                if (!seen.equals(last)) {
                    last = seen;
                    since = now;
                }
                longestGap.accumulateAndGet(Duration.between(since, now).toMillis(), Math::max);
                LockSupport.parkNanos(50_000_000);
            }
        });
        try {
            Operation create = cluster.product()
                    .createWorkspace(Workspaces.hobby("big-table").build())
                    .getOperation();
            Operation done = Workspaces.awaitDone(cluster.product(), create.getId());
            assertThat(done.getStatus()).as("%s", done).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
            Map.Entry<Long, String> routes = cluster.database()
                    .withHandle(h -> h.createQuery(
                                    "SELECT sent_bytes AS size, result FROM agent_commands WHERE command_id = :id")
                            .bind("id", create.getId() + "/routes")
                            .map((rs, ctx) -> Map.entry(
                                    rs.getLong("size"),
                                    parseResult(rs.getBytes("result")).getMessage()))
                            .one());
            assertThat(routes.getKey())
                    .as("the routes command's size in bytes, as sent")
                    .isGreaterThan(4L << 20);
            long onHost = cluster.database()
                    .withHandle(h -> h.createQuery("SELECT count(*) FROM workspaces WHERE host_id = :host")
                            .bind("host", host.id())
                            .mapTo(Long.class)
                            .one());
            assertThat(onHost).isGreaterThan(archived);
            assertThat(routes.getValue()).as("the agent took the whole table").contains(onHost + " routes");
        } finally {
            sampling.set(false);
            sampler.join();
            cluster.admin()
                    .undrainHost(UndrainHostRequest.newBuilder()
                            .setHostId(busyHost.id().toString())
                            .build())
                    .getHost();
            cluster.database().withHandle(h -> h.execute("DELETE FROM workspaces WHERE external_user_id = 'user-big'"));
        }
        assertThat(longestGap.get())
                .as("longest time without a heartbeat (ms), one due every second")
                .isLessThan(3000);
    }

    private static CommandResult parseResult(byte[] bytes) {
        try {
            return CommandResult.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static String commandState(String commandId) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT state FROM agent_commands WHERE command_id = :id")
                        .bind("id", commandId)
                        .mapTo(String.class)
                        .findOne()
                        .orElse(""));
    }

    private static Instant lastHeartbeat(SpinUpCluster.TestHost h) {
        return cluster.database()
                .withHandle(handle -> handle.createQuery("SELECT last_heartbeat_at FROM hosts WHERE id = :id")
                        .bind("id", h.id())
                        .mapTo(java.time.OffsetDateTime.class)
                        .one())
                .toInstant();
    }
}
