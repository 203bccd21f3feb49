package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.EvacuateHostRequest;
import dev.spinup.api.v1.EvacuateHostResponse;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.HostState;
import dev.spinup.api.v1.ListSnapshotsRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationVerb;
import dev.spinup.api.v1.SnapshotKind;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.Status;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * EvacuateHost: every workspace leaves a healthy host with no data lost — the active one runs on
 * the other host with what was written a moment before, the suspended one is suspended there —
 * and the old host keeps nothing of them.
 */
class EvacuationTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    @Test
    void evacuatingAHostMovesEachWorkspaceWithItsDataAndLeavesTheHostEmpty() {
        SpinUpCluster cluster = spinup.cluster();
        SpinUpCluster.TestHost a = cluster.startAgent(new Envelope(4, 8, 50));
        String running = Workspaces.createActive(cluster.product(), "running");
        String sleeping = Workspaces.createActive(cluster.product(), "sleeping");
        Workspaces.putNote(workspace(cluster, running).getUrl(), "latest", "written just before the move");
        Workspaces.putNote(workspace(cluster, sleeping).getUrl(), "kept", "written before it slept");
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "suspend", sleeping));
        SpinUpCluster.TestHost b = cluster.startAgent(new Envelope(4, 8, 50));

        EvacuateHostResponse evacuation = cluster.admin()
                .evacuateHost(EvacuateHostRequest.newBuilder()
                        .setHostId(a.id().toString())
                        .build());
        assertThat(evacuation.getHost().getState()).isEqualTo(HostState.HOST_STATE_DRAINING);
        assertThat(evacuation.getWorkspacesLeftList()).isEmpty();
        assertThat(evacuation.getOperationsList())
                .extracting(Operation::getWorkspaceId)
                .containsExactlyInAnyOrder(running, sleeping);
        for (Operation op : evacuation.getOperationsList()) {
            assertThat(op.getVerb()).isEqualTo(OperationVerb.OPERATION_VERB_EVACUATE);
            Operation done = Workspaces.awaitDone(cluster.product(), op.getId());
            assertThat(done.getStatus())
                    .as(done.getError().getMessage())
                    .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
            assertThat(done.getActor()).isEqualTo(cluster.adminActor());
        }

        Workspace moved = workspace(cluster, running);
        assertThat(moved.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(moved.getHostId()).isEqualTo(b.id().toString());
        assertThat(Workspaces.get(moved.getUrl() + "/notes/latest").body()).isEqualTo("written just before the move");
        Workspace slept = workspace(cluster, sleeping);
        assertThat(slept.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_SUSPENDED);
        assertThat(slept.getHostId()).isEqualTo(b.id().toString());
        for (String ws : new String[] {running, sleeping}) {
            assertThat(a.dataDir().resolve("workspaces").resolve(ws))
                    .as("nothing of %s left on the evacuated host", ws)
                    .doesNotExist();
            assertThat(cluster.product()
                            .listSnapshots(ListSnapshotsRequest.newBuilder()
                                    .setWorkspaceId(ws)
                                    .build())
                            .getSnapshotsList())
                    .anySatisfy(s -> assertThat(s.getKind()).isEqualTo(SnapshotKind.SNAPSHOT_KIND_PRE_MOVE));
        }
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "restore", sleeping));
        assertThat(Workspaces.get(workspace(cluster, sleeping).getUrl() + "/notes/kept")
                        .body())
                .isEqualTo("written before it slept");

        EvacuateHostResponse again = cluster.admin()
                .evacuateHost(EvacuateHostRequest.newBuilder()
                        .setHostId(a.id().toString())
                        .build());
        assertThat(again.getOperationsList()).as("nothing left to move").isEmpty();
        ApiAssertions.assertError(
                () -> cluster.admin()
                        .evacuateHost(EvacuateHostRequest.newBuilder()
                                .setHostId(UUID.randomUUID().toString())
                                .build()),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_HOST_NOT_FOUND);
    }

    private static Workspace workspace(SpinUpCluster cluster, String ws) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(ws).build())
                .getWorkspace();
    }
}
