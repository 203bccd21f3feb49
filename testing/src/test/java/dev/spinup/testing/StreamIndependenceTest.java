package dev.spinup.testing;

import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.controlplane.workspaces.Envelope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The commands and events streams are independent: while the control plane cannot consume a
 * host's events (its heartbeat is stuck behind a lock), commands still reach the agent and are
 * acked; and while the agent runs a long command, its heartbeats keep coming.
 */
class StreamIndependenceTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();
    @TempDir
    static Path dir;
    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    static SpinUpCluster.TestHost busyHost;

    @BeforeAll
    static void start() throws java.io.IOException {
        cluster = SpinUpCluster.builder(pg.config(), dir).agentHeartbeat(Duration.ofSeconds(1)).start();
        host = cluster.startAgent(new Envelope(4, 8, 50));
        // A second host whose workspaces never become ready: its StartVm runs until the start timeout.
        busyHost = cluster.startAgent(new Envelope(4, 8, 50),
                Workspaces.guestWithStartScript(dir.resolve("slow-guest"), "exec sleep 300\n"));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void aStalledEventConsumerDoesNotDelayCommands() {
        cluster.admin().drainHost(dev.spinup.api.v1.DrainHostRequest.newBuilder().setHostId(busyHost.id().toString()).build());
        Operation create;
        try {
            create = cluster.product().createWorkspace(Workspaces.hobby("independent").build());
        } finally {
            cluster.admin().undrainHost(dev.spinup.api.v1.UndrainHostRequest.newBuilder()
                    .setHostId(busyHost.id().toString()).build());
        }
        assertThat(Workspaces.awaitDone(cluster.product(), create.getId()).getStatus()).isEqualTo(OperationStatus.SUCCEEDED);
        String ws = create.getWorkspaceId();

        Handle blocker = cluster.database().jdbi().open();
        try {
            blocker.begin();
            // NO KEY UPDATE: it blocks the heartbeat's UPDATE of the row, not inserts that reference it
            blocker.createQuery("SELECT id FROM hosts WHERE id = :id FOR NO KEY UPDATE").bind("id", host.id())
                    .mapTo(UUID.class).one();
            Eventually.await(Duration.ofSeconds(30), "the host's next heartbeat to be stuck behind the lock",
                    () -> heartbeatsBlocked() > 0);

            Operation suspend = cluster.product().suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                    .setRequestId("req-" + UUID.randomUUID()).setWorkspaceId(ws).build());

            Eventually.await(Duration.ofSeconds(30), "StopVm to be delivered and acked", () -> cluster.database()
                    .withHandle(h -> h.createQuery("SELECT state FROM agent_commands WHERE command_id = :id")
                            .bind("id", suspend.getId() + "/stop").mapTo(String.class).findOne().orElse(""))
                    .equals("acked"));
            Eventually.await(Duration.ofSeconds(30), "the agent to stop the workspace", () ->
                    host.agent().driver().find(ws).map(l -> l.state() != LocalWorkspace.State.RUNNING).orElse(false));
            assertThat(heartbeatsBlocked()).as("the event stream is still stalled").isPositive();
            blocker.rollback();

            assertThat(Workspaces.awaitDone(cluster.product(), suspend.getId()).getStatus())
                    .isEqualTo(OperationStatus.SUCCEEDED);
        } finally {
            if (blocker.isInTransaction()) {
                blocker.rollback();
            }
            blocker.close();
        }
    }

    @Test
    void aHeavyCommandDoesNotDelayHeartbeats() {
        cluster.admin().drainHost(dev.spinup.api.v1.DrainHostRequest.newBuilder().setHostId(host.id().toString()).build());
        try {
            Operation create = cluster.product().createWorkspace(Workspaces.hobby("heavy").build());
            String start = create.getId() + "/start";
            Eventually.await(Duration.ofSeconds(30), "StartVm to be running on the busy host", () -> commandState(start)
                    .equals("acked"));
            java.time.Instant first = lastHeartbeat(busyHost);
            // While StartVm keeps running (it waits up to 30 s for an app that never listens),
            // heartbeats keep arriving at their own pace.
            Eventually.await(Duration.ofSeconds(10), "three more heartbeats during the command",
                    () -> lastHeartbeat(busyHost).isAfter(first.plusMillis(2500)));
            assertThat(commandState(start)).as("the command is still running").isEqualTo("acked");
        } finally {
            cluster.admin().undrainHost(dev.spinup.api.v1.UndrainHostRequest.newBuilder()
                    .setHostId(host.id().toString()).build());
        }
    }

    private static String commandState(String commandId) {
        return cluster.database().withHandle(h -> h.createQuery("SELECT state FROM agent_commands WHERE command_id = :id")
                .bind("id", commandId).mapTo(String.class).findOne().orElse(""));
    }

    private static java.time.Instant lastHeartbeat(SpinUpCluster.TestHost h) {
        return cluster.database().withHandle(handle -> handle.createQuery(
                        "SELECT last_heartbeat_at FROM hosts WHERE id = :id").bind("id", h.id())
                .mapTo(java.time.OffsetDateTime.class).one()).toInstant();
    }

    private static long heartbeatsBlocked() {
        return cluster.database().withHandle(h -> h.createQuery("""
                        SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'
                          AND query LIKE '%UPDATE hosts SET last_heartbeat_at%'""")
                .mapTo(Long.class).one());
    }
}
