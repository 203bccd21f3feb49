package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.ArchiveWorkspaceRequest;
import dev.spinup.api.v1.DeleteWorkspaceRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.RestoreWorkspaceRequest;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ARCHIVE to object storage (real S3 protocol) and RESTORE onto another host, with two real agents. */
class ArchiveRestoreTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        cluster.startAgent(new Envelope(4, 8, 50));
        cluster.startAgent(new Envelope(4, 8, 50));
    }

    @Test
    void dataWrittenBeforeArchiveIsThereAfterRestoreOnAnotherHost() throws Exception {
        Workspace ws = get(succeed(cluster.product()
                        .createWorkspace(Workspaces.hobby("archivist").build())
                        .getOperation())
                .getWorkspaceId());
        Workspaces.putNote(ws.getUrl(), "thesis", "chapter one");
        SpinUpCluster.TestHost original = hostOf(ws);

        Operation archive = succeed(cluster.product()
                .archiveWorkspace(ArchiveWorkspaceRequest.newBuilder()
                        .setRequestId(rid())
                        .setWorkspaceId(ws.getId())
                        .build())
                .getOperation());

        assertThat(archive.getStepsList())
                .extracting(s -> s.getName())
                .containsExactly("stop", "snapshot", "verify", "wipe", "routes");
        var verify = archive.getStepsList().stream()
                .filter(s -> s.getName().equals("verify"))
                .findFirst()
                .orElseThrow();
        long verifyNanos =
                (verify.getCompletedAt().getSeconds() - verify.getStartedAt().getSeconds()) * 1_000_000_000L
                        + verify.getCompletedAt().getNanos()
                        - verify.getStartedAt().getNanos();
        assertThat(verifyNanos)
                .as("the verify step's time: it reads the whole snapshot back from object storage")
                .isPositive();
        assertThat(Workspaces.metric(
                                cluster.metricsPort(),
                                "spinup_operation_step_duration_seconds_sum\\{step=\"verify\",verb=\"archive\"}")
                        .orElseThrow())
                .as("the verify step's time in the step-duration metric")
                .isEqualTo(verifyNanos / 1e9, org.assertj.core.data.Offset.offset(0.05));
        assertThat(get(ws.getId()).getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ARCHIVED);
        assertThat(original.dataDir().resolve("workspaces").resolve(ws.getId())).doesNotExist();
        Map<String, Object> snapshot = cluster.database()
                .withHandle(h -> h.createQuery(
                                "SELECT object_uri, size_bytes, checksum, tool, kind, verified_at FROM snapshots WHERE workspace_id = :ws")
                        .bind("ws", UUID.fromString(ws.getId()))
                        .mapToMap()
                        .one());
        assertThat(snapshot).containsEntry("kind", "pre_archive").containsEntry("tool", "tar");
        assertThat(snapshot.get("verified_at")).isNotNull();
        assertThat((String) snapshot.get("checksum")).matches("sha256:[0-9a-f]{64}");
        Path object = cluster.storedObject(key((String) snapshot.get("object_uri")));
        assertThat(Files.size(object)).isEqualTo((Long) snapshot.get("size_bytes"));

        // Only the other host may take it: the original one stops taking new placements.
        setHostState(original, "draining");
        try {
            succeed(cluster.product()
                    .restoreWorkspace(RestoreWorkspaceRequest.newBuilder()
                            .setRequestId(rid())
                            .setWorkspaceId(ws.getId())
                            .build())
                    .getOperation());
        } finally {
            setHostState(original, "healthy");
        }
        Workspace restored = get(ws.getId());
        assertThat(restored.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(restored.getHostId()).isNotEqualTo(original.id().toString());
        assertThat(Workspaces.get(restored.getUrl() + "/notes/thesis").body()).isEqualTo("chapter one");

        succeed(cluster.product()
                .deleteWorkspace(DeleteWorkspaceRequest.newBuilder()
                        .setRequestId(rid())
                        .setWorkspaceId(ws.getId())
                        .build())
                .getOperation());
        assertThat(object).as("snapshots are purged from object storage").doesNotExist();
        long unpurged = cluster.database()
                .withHandle(h -> h.createQuery(
                                "SELECT count(*) FROM snapshots WHERE workspace_id = :ws AND purged_at IS NULL")
                        .bind("ws", UUID.fromString(ws.getId()))
                        .mapTo(Long.class)
                        .one());
        assertThat(unpurged).isZero();
    }

    static String key(String uri) {
        return uri.substring(("s3://" + SpinUpCluster.BUCKET + "/").length());
    }

    static SpinUpCluster.TestHost hostOf(Workspace ws) {
        return cluster.hosts().stream()
                .filter(h -> h.id().toString().equals(ws.getHostId()))
                .findFirst()
                .orElseThrow();
    }

    static void setHostState(SpinUpCluster.TestHost host, String state) {
        cluster.database().withHandle(h -> h.execute("UPDATE hosts SET state = ? WHERE id = ?", state, host.id()));
    }

    static Operation succeed(Operation op) {
        Operation done = Workspaces.awaitDone(cluster.product(), op.getId());
        assertThat(done.getStatus()).as("%s", done).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        return done;
    }

    static Workspace get(String id) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace();
    }

    static String rid() {
        return "req-" + UUID.randomUUID();
    }
}
