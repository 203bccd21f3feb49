package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.ForkWorkspaceRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.ListSnapshotsRequest;
import dev.spinup.api.v1.ListSnapshotsResponse;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationVerb;
import dev.spinup.api.v1.Snapshot;
import dev.spinup.api.v1.SnapshotKind;
import dev.spinup.api.v1.SnapshotWorkspaceRequest;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.Status;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Snapshots as an API: SnapshotWorkspace takes one on demand (idempotent), ListSnapshots shows
 * what is in object storage (checked against the stored objects themselves), and ForkWorkspace
 * makes a new workspace from any verified one — a full one, or a differential with its full one.
 */
class SnapshotsApiTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        cluster.startAgent(new Envelope(8, 16, 100));
    }

    @Test
    void snapshotsTakenOnDemandAreListedAndForkedFromWithTheDataOfTheirTime() throws Exception {
        String source = Workspaces.createActive(cluster.product(), "source");
        String url = workspace(source).getUrl();
        Workspaces.putNote(url, "first", "in both snapshots");

        SnapshotWorkspaceRequest take = SnapshotWorkspaceRequest.newBuilder()
                .setRequestId("req-" + UUID.randomUUID())
                .setWorkspaceId(source)
                .build();
        Operation first = cluster.product().snapshotWorkspace(take).getOperation();
        assertThat(first.getVerb()).isEqualTo(OperationVerb.OPERATION_VERB_SNAPSHOT);
        assertThat(cluster.product().snapshotWorkspace(take).getOperation().getId())
                .as("the same request, the same operation")
                .isEqualTo(first.getId());
        Workspaces.awaitSucceeded(cluster.product(), first);
        Workspaces.putNote(url, "second", "only in the second");
        Workspaces.awaitSucceeded(
                cluster.product(),
                cluster.product()
                        .snapshotWorkspace(SnapshotWorkspaceRequest.newBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .setWorkspaceId(source)
                                .build())
                        .getOperation());

        List<Snapshot> snapshots = list(source, 0, "").getSnapshotsList();
        assertThat(snapshots).hasSize(2);
        Snapshot newest = snapshots.get(0);
        Snapshot full = snapshots.get(1);
        assertThat(full.getBaseSnapshotId()).as("the first one is full").isEmpty();
        assertThat(newest.getBaseSnapshotId()).as("the second builds on it").isEqualTo(full.getId());
        for (Snapshot s : snapshots) {
            assertThat(s.getKind()).isEqualTo(SnapshotKind.SNAPSHOT_KIND_PERIODIC);
            assertThat(s.hasVerifiedAt()).isTrue();
            byte[] stored = Files.readAllBytes(
                    cluster.storedObject("workspaces/" + source + "/snapshots/" + s.getId() + ".tar.gz"));
            assertThat(s.getSizeBytes()).isEqualTo(stored.length);
            assertThat(s.getSha256())
                    .isEqualTo(HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(stored)));
        }
        ListSnapshotsResponse page = list(source, 1, "");
        assertThat(page.getSnapshotsList()).extracting(Snapshot::getId).containsExactly(newest.getId());
        assertThat(list(source, 1, page.getNextPageToken()).getSnapshotsList())
                .extracting(Snapshot::getId)
                .containsExactly(full.getId());

        Workspace fromFull = forked(fork(source, full.getId()));
        assertThat(Workspaces.get(fromFull.getUrl() + "/notes/first").body()).isEqualTo("in both snapshots");
        assertThat(Workspaces.get(fromFull.getUrl() + "/notes/second").statusCode())
                .isEqualTo(404);

        Workspace fromNewest = forked(fork(source, ""));
        assertThat(Workspaces.get(fromNewest.getUrl() + "/notes/first").body()).isEqualTo("in both snapshots");
        assertThat(Workspaces.get(fromNewest.getUrl() + "/notes/second").body()).isEqualTo("only in the second");
        assertThat(fromNewest.getFlavor()).isEqualTo(workspace(source).getFlavor());
        assertThat(workspace(source).getState())
                .as("the source is untouched")
                .isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
    }

    @Test
    void badSnapshotRequestsAreRefusedWithTheirReason() {
        String bare = Workspaces.createActive(cluster.product(), "no-snapshots");
        ApiAssertions.assertError(
                () -> fork(bare, ""), Status.Code.FAILED_PRECONDITION, ErrorReason.ERROR_REASON_NO_VERIFIED_SNAPSHOT);
        ApiAssertions.assertError(
                () -> fork(bare, UUID.randomUUID().toString()),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_SNAPSHOT_NOT_FOUND);
        ApiAssertions.assertError(
                () -> fork(UUID.randomUUID().toString(), ""),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_WORKSPACE_NOT_FOUND);
        ApiAssertions.assertError(
                () -> fork(bare, "not-a-uuid"), Status.Code.INVALID_ARGUMENT, ErrorReason.ERROR_REASON_FIELD_INVALID);
        ApiAssertions.assertError(
                () -> list(UUID.randomUUID().toString(), 0, ""),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_WORKSPACE_NOT_FOUND);
        assertThat(list(bare, 0, "").getSnapshotsList()).isEmpty();

        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "suspend", bare));
        ApiAssertions.assertError(
                () -> cluster.product()
                        .snapshotWorkspace(SnapshotWorkspaceRequest.newBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .setWorkspaceId(bare)
                                .build()),
                Status.Code.FAILED_PRECONDITION,
                ErrorReason.ERROR_REASON_INVALID_STATE_TRANSITION);
    }

    private static Operation fork(String source, String snapshot) {
        return cluster.product()
                .forkWorkspace(ForkWorkspaceRequest.newBuilder()
                        .setRequestId("req-" + UUID.randomUUID())
                        .setSourceWorkspaceId(source)
                        .setSnapshotId(snapshot)
                        .setExternalWorkspaceId("ext-fork-" + UUID.randomUUID())
                        .setExternalUserId("user-2")
                        .setDisplayName("fork")
                        .build())
                .getOperation();
    }

    /** The fork's CREATE, done: its disk came from the snapshot. */
    private static Workspace forked(Operation create) {
        assertThat(create.getVerb()).isEqualTo(OperationVerb.OPERATION_VERB_CREATE);
        Operation done = Workspaces.awaitDone(cluster.product(), create.getId());
        assertThat(done.getStatus())
                .as(done.getError().getMessage())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        assertThat(done.getStepsList()).extracting(s -> s.getName()).containsExactly("download", "start", "routes");
        Workspace w = workspace(done.getWorkspaceId());
        assertThat(w.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        return w;
    }

    private static ListSnapshotsResponse list(String ws, int pageSize, String token) {
        return cluster.product()
                .listSnapshots(ListSnapshotsRequest.newBuilder()
                        .setWorkspaceId(ws)
                        .setPageSize(pageSize)
                        .setPageToken(token)
                        .build());
    }

    private static Workspace workspace(String ws) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(ws).build())
                .getWorkspace();
    }
}
