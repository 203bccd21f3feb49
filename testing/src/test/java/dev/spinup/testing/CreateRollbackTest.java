package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.StepStatus;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A CREATE whose workspace cannot start is rolled back: process gone, files gone, slot freed, reason given. */
class CreateRollbackTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    @BeforeAll
    static void start() throws IOException {
        cluster = spinup.cluster();
        host = cluster.startAgent(
                new Envelope(1, 1, 5), brokenGuest(spinup.dir().resolve("broken-guest")));
    }

    /** The real entrypoint, with a starter template whose app dies at once. */
    private static Path brokenGuest(Path guest) throws IOException {
        return Workspaces.guestWithStartScript(guest, "echo 'cannot find package.json' >&2\nexit 3\n");
    }

    @Test
    void failedStartIsRolledBackAndFreesTheSlot() {
        Operation op = cluster.product()
                .createWorkspace(Workspaces.hobby("doomed").build())
                .getOperation();

        Operation done = Workspaces.awaitDone(cluster.product(), op.getId());

        assertThat(done.getStatus()).as("%s", done).isEqualTo(OperationStatus.OPERATION_STATUS_ROLLED_BACK);
        assertThat(done.getError().getReason()).isEqualTo(ErrorReason.ERROR_REASON_AGENT_COMMAND_FAILED);
        assertThat(done.getError().getMessage()).contains("cannot find package.json");
        assertThat(done.getStepsList())
                .extracting(s -> s.getName() + "=" + s.getStatus())
                .containsExactly(
                        "provision=" + StepStatus.STEP_STATUS_DONE, "start=" + StepStatus.STEP_STATUS_FAILED,
                        // the undo of what began, in reverse: start's is provision's destroy; routes never began
                        "routes=" + StepStatus.STEP_STATUS_SKIPPED, "rollback:destroy=" + StepStatus.STEP_STATUS_DONE);
        assertThat(cluster.product()
                        .getWorkspace(GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(op.getWorkspaceId())
                                .build())
                        .getWorkspace()
                        .getState())
                .isEqualTo(WorkspaceState.WORKSPACE_STATE_DELETED);
        assertThat(host.dataDir().resolve("workspaces").resolve(op.getWorkspaceId()))
                .doesNotExist();
        assertThat(host.agent().driver().inventory()).isEmpty();

        // The host has room for exactly one hobby workspace: the slot is free again.
        Operation next = cluster.product()
                .createWorkspace(Workspaces.hobby("next").build())
                .getOperation();
        assertThat(Workspaces.awaitDone(cluster.product(), next.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_ROLLED_BACK);
    }
}
