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
 * The commands and events streams have their own flow control: while the control plane cannot
 * consume this host's events (its heartbeat is stuck behind a lock), commands still reach the
 * agent and are acked.
 */
class StreamIndependenceTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();
    @TempDir
    static Path dir;
    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    @BeforeAll
    static void start() {
        cluster = SpinUpCluster.builder(pg.config(), dir).start();
        host = cluster.startAgent(new Envelope(4, 8, 50));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void aStalledEventConsumerDoesNotDelayCommands() {
        Operation create = cluster.product().createWorkspace(Workspaces.hobby("independent").build());
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

    private static long heartbeatsBlocked() {
        return cluster.database().withHandle(h -> h.createQuery("""
                        SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'
                          AND query LIKE '%UPDATE hosts SET last_heartbeat_at%'""")
                .mapTo(Long.class).one());
    }
}
