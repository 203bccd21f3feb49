package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An agent that dies while executing a command comes back without a record of finishing it: the
 * operation fails with AGENT_RECONNECTED_WITHOUT_COMPLETION (and CREATE rolls back), rather than
 * the command being silently run twice or waited on forever.
 */
class AgentRestartTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static final Envelope CAPACITY = new Envelope(4, 8, 50);
    static Path slowGuest;
    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    @BeforeAll
    static void start() throws IOException {
        cluster = spinup.cluster();
        // An app that never starts listening: StartVm stays in flight until its timeout.
        slowGuest = Workspaces.guestWithStartScript(spinup.dir().resolve("slow-guest"), "exec sleep 300\n");
        host = cluster.startAgent(CAPACITY, slowGuest);
    }

    @Test
    void aCommandInFlightWhenTheAgentDiedFailsTheOperationWithTheReason() {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("interrupted").build())
                .getOperation();
        Eventually.await(
                Duration.ofSeconds(30),
                "StartVm to be acked by the agent",
                () -> cluster.database()
                                .withHandle(h -> h.createQuery(
                                                "SELECT count(*) FROM agent_commands WHERE command_id = :id AND state = 'acked'")
                                        .bind("id", create.getId() + "/start")
                                        .mapTo(Long.class)
                                        .one())
                        == 1);

        host = cluster.restartAgent(host, slowGuest, CAPACITY);

        Operation done = Workspaces.awaitDone(cluster.product(), create.getId());
        assertThat(done.getStatus()).isEqualTo(OperationStatus.OPERATION_STATUS_ROLLED_BACK);
        assertThat(done.getError().getReason())
                .isEqualTo(ErrorReason.ERROR_REASON_AGENT_RECONNECTED_WITHOUT_COMPLETION);
        assertThat(done.getError().getMessage()).contains("restarted while executing START_VM");
        assertThat(cluster.product()
                        .getWorkspace(GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(create.getWorkspaceId())
                                .build())
                        .getWorkspace()
                        .getState())
                .isEqualTo(WorkspaceState.WORKSPACE_STATE_DELETED);
        assertThat(host.dataDir().resolve("workspaces").resolve(create.getWorkspaceId()))
                .as("the rollback removed what the lost command left behind")
                .doesNotExist();
    }
}
