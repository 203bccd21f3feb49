package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.ArchiveWorkspaceRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import java.io.RandomAccessFile;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A snapshot corrupted in object storage is caught by the read-back, and the local copy is never wiped. */
class ArchiveCorruptionTest {
    static final PauseAt beforeVerify = new PauseAt("verify");
    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.hooks(beforeVerify));

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.startAgent(new Envelope(4, 8, 50));
    }

    @AfterAll
    static void stop() {
        beforeVerify.release();
    }

    @Test
    void aFlippedByteInStorageFailsTheArchiveAndKeepsTheWorkspace() throws Exception {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("precious").build())
                .getOperation();
        assertThat(Workspaces.awaitDone(cluster.product(), create.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        String id = create.getWorkspaceId();
        Workspace ws = cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace();
        Workspaces.putNote(ws.getUrl(), "only-copy", "irreplaceable");

        Operation archive = cluster.product()
                .archiveWorkspace(ArchiveWorkspaceRequest.newBuilder()
                        .setRequestId("req-" + UUID.randomUUID())
                        .setWorkspaceId(id)
                        .build())
                .getOperation();
        beforeVerify.awaitReached(Duration.ofSeconds(60));
        String uri = cluster.database()
                .withHandle(h -> h.createQuery("SELECT object_uri FROM snapshots WHERE workspace_id = :ws")
                        .bind("ws", UUID.fromString(id))
                        .mapTo(String.class)
                        .one());
        try (RandomAccessFile object = new RandomAccessFile(
                cluster.storedObject(ArchiveRestoreTest.key(uri)).toFile(), "rw")) {
            long middle = object.length() / 2;
            object.seek(middle);
            int b = object.read();
            object.seek(middle);
            object.write(b ^ 0xFF);
        }
        beforeVerify.release();

        Operation done = Workspaces.awaitDone(cluster.product(), archive.getId());

        assertThat(done.getStatus()).isEqualTo(OperationStatus.OPERATION_STATUS_ROLLED_BACK);
        assertThat(done.getError().getReason()).isEqualTo(ErrorReason.ERROR_REASON_SNAPSHOT_VERIFICATION_FAILED);
        assertThat(done.getError().getMessage()).contains("does not match").contains("Local data was kept");
        assertThat(done.getStepsList())
                .extracting(s -> s.getName() + "=" + s.getStatus().name())
                .containsExactly(
                        "stop=STEP_STATUS_DONE",
                        "snapshot=STEP_STATUS_DONE",
                        "verify=STEP_STATUS_FAILED",
                        "wipe=STEP_STATUS_SKIPPED",
                        "routes=STEP_STATUS_SKIPPED",
                        "rollback:discard_snapshot=STEP_STATUS_DONE",
                        "rollback:restart=STEP_STATUS_DONE");
        Workspace after = cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace();
        assertThat(after.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(Workspaces.get(after.getUrl() + "/notes/only-copy").body()).isEqualTo("irreplaceable");
        long verified = cluster.database()
                .withHandle(h -> h.createQuery(
                                "SELECT count(*) FROM snapshots WHERE workspace_id = :ws AND verified_at IS NOT NULL")
                        .bind("ws", UUID.fromString(id))
                        .mapTo(Long.class)
                        .one());
        assertThat(verified).as("never marked verified").isZero();
        assertThat(cluster.storedObject(ArchiveRestoreTest.key(uri)))
                .as("the bad object is deleted with the rollback")
                .doesNotExist();
    }
}
