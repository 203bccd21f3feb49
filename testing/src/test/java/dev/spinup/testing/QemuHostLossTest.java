package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.DeclareHostLostRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.ListOperationsRequest;
import dev.spinup.api.v1.ListSnapshotsRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationVerb;
import dev.spinup.api.v1.Snapshot;
import dev.spinup.api.v1.SnapshotWorkspaceRequest;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Losing a host with real VMs (qemu, under TCG here), small: one HOBBY VM on host A with a full
 * snapshot and a differential on it; A's agent goes and its VM is killed; the operator declares A
 * lost. The workspace boots on host B from the full and the differential (qcow2 layers flattened
 * into one overlay) and serves what was written before the differential, not what came after.
 */
@Tag("vm")
class QemuHostLossTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    @Test
    void anActiveVmOfALostHostBootsElsewhereFromItsFullAndDifferential() throws Exception {
        Path image = dev.spinup.agent.drivers.QemuImage.buildFromCheckout();
        SpinUpCluster cluster = spinup.cluster();
        SpinUpCluster.TestHost a = cluster.startAgentWithQemu(new Envelope(4, 8, 50), image, Duration.ofMinutes(3));
        String ws = Workspaces.createActive(cluster.product(), "vm-lost");
        String url = workspace(cluster, ws).getUrl();
        Workspaces.putNote(url, "first", "before the full");
        snapshot(cluster, ws);
        Workspaces.putNote(url, "second", "before the differential");
        snapshot(cluster, ws);
        Workspaces.putNote(url, "third", "after the last snapshot: lost with the host");
        List<Snapshot> snapshots = cluster.product()
                .listSnapshots(
                        ListSnapshotsRequest.newBuilder().setWorkspaceId(ws).build())
                .getSnapshotsList();
        assertThat(snapshots.get(0).getBaseSnapshotId())
                .as("the newest is a differential on the full")
                .isEqualTo(snapshots.get(1).getId());

        SpinUpCluster.TestHost b = cluster.startAgentWithQemu(new Envelope(4, 8, 50), image, Duration.ofMinutes(3));
        a.agent().close(); // the agent goes; its VM would run on
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains("spinup-" + ws))
                .forEach(ChildProcesses::killTree);
        cluster.admin()
                .declareHostLost(DeclareHostLostRequest.newBuilder()
                        .setHostId(a.id().toString())
                        .setReason("test: host A powered off")
                        .build());

        Operation op = Eventually.await(
                        Duration.ofSeconds(60),
                        "the RECOVER of " + ws,
                        () -> cluster.product()
                                .listOperations(ListOperationsRequest.newBuilder()
                                        .setWorkspaceId(ws)
                                        .setVerb(OperationVerb.OPERATION_VERB_RECOVER)
                                        .build())
                                .getOperationsList(),
                        list -> !list.isEmpty())
                .getFirst();
        Operation recovered = Workspaces.awaitDone(cluster.product(), op.getId(), Duration.ofMinutes(4));
        assertThat(recovered.getStatus())
                .as(recovered.getError().getMessage())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        assertThat(recovered.getRecoveryPoint()).isEqualTo(snapshots.get(0).getCreatedAt());
        Workspace now = workspace(cluster, ws);
        assertThat(now.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(now.getHostId()).isEqualTo(b.id().toString());
        assertThat(Workspaces.get(now.getUrl() + "/notes/first").body()).isEqualTo("before the full");
        assertThat(Workspaces.get(now.getUrl() + "/notes/second").body()).isEqualTo("before the differential");
        assertThat(Workspaces.get(now.getUrl() + "/notes/third").statusCode()).isEqualTo(404);
    }

    private static void snapshot(SpinUpCluster cluster, String ws) {
        Workspaces.awaitSucceeded(
                cluster.product(),
                cluster.product()
                        .snapshotWorkspace(SnapshotWorkspaceRequest.newBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .setWorkspaceId(ws)
                                .build())
                        .getOperation());
    }

    private static Workspace workspace(SpinUpCluster cluster, String ws) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(ws).build())
                .getWorkspace();
    }
}
