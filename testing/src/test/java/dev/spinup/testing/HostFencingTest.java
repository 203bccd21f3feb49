package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.api.v1.DeclareHostLostRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.HostState;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.core.Envelope;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An operator declares a connected host lost through one replica while its agent's session is
 * held by another: the session ends there, the agent stops what it runs and keeps the disk, and
 * the workspace, with no snapshot and no other host, is archived with none (NO_SNAPSHOT).
 */
class HostFencingTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    @Test
    void aHostDeclaredLostWhileConnectedToAnotherReplicaIsCutOffAndStopsItsWorkspaces() {
        SpinUpCluster cluster = spinup.cluster();
        ControlPlane other = cluster.startReplica();
        SpinUpCluster.TestHost host = cluster.startAgentOn(new Envelope(4, 8, 50), List.of(other));
        String ws = Workspaces.createActive(cluster.product(), "fenced");
        assertThat(host.agent().driver().find(ws))
                .get()
                .extracting(LocalWorkspace::state)
                .isEqualTo(LocalWorkspace.State.RUNNING);

        var lost = cluster.admin()
                .declareHostLost(DeclareHostLostRequest.newBuilder()
                        .setHostId(host.id().toString())
                        .setReason("failing disks, ticket OPS-7")
                        .build())
                .getHost();
        assertThat(lost.getState()).isEqualTo(HostState.HOST_STATE_LOST);
        assertThat(lost.getStateReason())
                .contains("failing disks, ticket OPS-7")
                .contains(cluster.adminActor());

        Eventually.await(Duration.ofSeconds(30), "the agent to be told it is fenced", host.agent()::isFenced);
        Eventually.await(
                Duration.ofSeconds(30),
                "the workspace on the fenced host to stop",
                () -> host.agent()
                        .driver()
                        .find(ws)
                        .map(w -> w.state() != LocalWorkspace.State.RUNNING)
                        .orElse(false));
        assertThat(host.dataDir().resolve("workspaces").resolve(ws).resolve("disk"))
                .as("its disk, kept")
                .isDirectory();
        Workspace archived = Eventually.await(
                Duration.ofSeconds(30),
                "the workspace to be recovered",
                () -> cluster.product()
                        .getWorkspace(GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(ws)
                                .build())
                        .getWorkspace(),
                w -> w.getState() == WorkspaceState.WORKSPACE_STATE_ARCHIVED);
        assertThat(archived.getStateReason()).isEqualTo(ErrorReason.ERROR_REASON_NO_SNAPSHOT);
        assertThat(host.agent().isConnected()).as("refused on every replica").isFalse();
    }
}
