package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spinup.api.v1.DeleteWorkspaceRequest;
import dev.spinup.api.v1.Envelope;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.ResizeWorkspaceRequest;
import dev.spinup.api.v1.RestoreWorkspaceRequest;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** SUSPEND, RESTORE, RESIZE and DELETE through a real agent and real workspace processes. */
class LifecycleTransitionsTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.startAgent(new dev.spinup.controlplane.core.Envelope(6, 16, 100));
    }

    @Test
    void suspendKeepsTheDataAndRestoreBringsItBack() throws Exception {
        Workspace ws = createActive("suspend-me");
        Workspaces.putNote(ws.getUrl(), "hello", "written before suspend");

        Operation suspend = succeed(cluster.product()
                .suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                        .setRequestId(rid())
                        .setWorkspaceId(ws.getId())
                        .build())
                .getOperation());
        assertThat(suspend.getStepsList()).extracting(s -> s.getName()).containsExactly("stop", "routes");
        Workspace suspended = get(ws.getId());
        assertThat(suspended.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_SUSPENDED);
        assertThat(suspended.getUrl()).isEmpty();
        assertThat(host.agent().driver().find(ws.getId()))
                .get()
                .satisfies(local ->
                        assertThat(local.state()).isNotEqualTo(dev.spinup.agent.drivers.LocalWorkspace.State.RUNNING));
        assertThatThrownBy(() -> Workspaces.get(ws.getUrl() + "/healthz"))
                .as("nothing answers while suspended")
                .isInstanceOf(AssertionError.class);

        succeed(cluster.product()
                .restoreWorkspace(RestoreWorkspaceRequest.newBuilder()
                        .setRequestId(rid())
                        .setWorkspaceId(ws.getId())
                        .build())
                .getOperation());
        Workspace restored = get(ws.getId());
        assertThat(restored.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(Workspaces.get(restored.getUrl() + "/notes/hello").body()).isEqualTo("written before suspend");
    }

    @Test
    void resizeReservesRoomOnTheHostOrSaysWhyNot() {
        Workspace ws = createActive("resize-me");

        Operation resize = succeed(cluster.product()
                .resizeWorkspace(ResizeWorkspaceRequest.newBuilder()
                        .setRequestId(rid())
                        .setWorkspaceId(ws.getId())
                        .setFlavor(Flavor.FLAVOR_PRO)
                        .build())
                .getOperation());
        assertThat(resize.getStepsList()).extracting(s -> s.getName()).containsExactly("resize");
        Workspace resized = get(ws.getId());
        assertThat(resized.getFlavor()).isEqualTo(Flavor.FLAVOR_PRO);
        assertThat(resized.getEnvelope().getVcpu()).isEqualTo(2);
        assertThat(resized.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(host.agent().driver().find(ws.getId()).orElseThrow().spec().vcpu())
                .isEqualTo(2);
        List<String> filed = cluster.database()
                .withHandle(h -> h.createQuery(
                                "SELECT verb || ':' || flavor FROM operations WHERE workspace_id = ? ORDER BY requested_at")
                        .bind(0, UUID.fromString(ws.getId()))
                        .mapTo(String.class)
                        .list());
        assertThat(filed)
                .as("each operation filed under the flavor it was requested at, whatever came after")
                .containsExactly("create:hobby", "resize:hobby");

        var info = assertError(
                () -> cluster.product()
                        .resizeWorkspace(ResizeWorkspaceRequest.newBuilder()
                                .setRequestId(rid())
                                .setWorkspaceId(ws.getId())
                                .setFlavor(Flavor.FLAVOR_CUSTOM)
                                .setCustomEnvelope(Envelope.newBuilder()
                                        .setVcpu(32)
                                        .setRamGb(4)
                                        .setDiskGb(20))
                                .build())
                        .getOperation(),
                Status.Code.FAILED_PRECONDITION,
                ErrorReason.ERROR_REASON_HOST_LACKS_ROOM);
        assertThat(info.getMetadataMap()).containsKey("vcpu");
        assertThat(get(ws.getId()).getEnvelope().getVcpu())
                .as("a refused resize changes nothing")
                .isEqualTo(2);
        assertThat(resized.getMaxDeploys()).isEqualTo(1000);

        var ceiling = assertError(
                () -> cluster.product()
                        .resizeWorkspace(ResizeWorkspaceRequest.newBuilder()
                                .setRequestId(rid())
                                .setWorkspaceId(ws.getId())
                                .setFlavor(Flavor.FLAVOR_HOBBY)
                                .setDeployCount(501)
                                .build())
                        .getOperation(),
                Status.Code.FAILED_PRECONDITION,
                ErrorReason.ERROR_REASON_FLAVOR_CEILING_EXCEEDED);
        assertThat(ceiling.getMetadataMap()).containsEntry("maxDeploys", "500");
        assertThat(get(ws.getId()).getFlavor()).isEqualTo(Flavor.FLAVOR_PRO);
    }

    @Test
    void deleteRemovesEverythingAndForgetsWhoItWas() {
        Workspace ws = createActive("delete-me");
        Path local = host.dataDir().resolve("workspaces").resolve(ws.getId());
        assertThat(local).exists();

        Operation delete = succeed(cluster.product()
                .deleteWorkspace(DeleteWorkspaceRequest.newBuilder()
                        .setRequestId(rid())
                        .setWorkspaceId(ws.getId())
                        .build())
                .getOperation());

        assertThat(delete.getStepsList()).extracting(s -> s.getName()).contains("destroy", "tombstone");
        Workspace deleted = get(ws.getId());
        assertThat(deleted.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_DELETED);
        assertThat(deleted.getDisplayName()).isEqualTo("deleted workspace");
        assertThat(deleted.getExternalUserId()).isEqualTo("deleted");
        assertThat(deleted.getLabelsMap()).isEmpty();
        assertThat(local).doesNotExist();
        assertThat(host.agent().driver().find(ws.getId())).isEmpty();

        List<String> events = cluster.database()
                .withHandle(h -> h.createQuery("SELECT event_type FROM audit_log WHERE workspace_id = :id ORDER BY id")
                        .bind("id", UUID.fromString(ws.getId()))
                        .mapTo(String.class)
                        .list());
        assertThat(events)
                .containsExactly(
                        "transition.create.requested",
                        "transition.create.succeeded",
                        "transition.delete.requested",
                        "transition.delete.succeeded");
        String auditText = cluster.database()
                .withHandle(h -> h.createQuery(
                                "SELECT string_agg(event_data::text || actor, ' ') FROM audit_log WHERE workspace_id = :id")
                        .bind("id", UUID.fromString(ws.getId()))
                        .mapTo(String.class)
                        .one());
        assertThat(auditText)
                .as("no PII in the audit log")
                .doesNotContain("delete-me")
                .doesNotContain("user-1");
        assertThatThrownBy(() -> cluster.database()
                        .withHandle(h -> h.execute(
                                "UPDATE audit_log SET actor = 'system' WHERE workspace_id = ?",
                                UUID.fromString(ws.getId()))))
                .hasMessageContaining("append-only");
        assertThatThrownBy(() -> cluster.database().withHandle(h -> h.execute("DELETE FROM audit_log")))
                .hasMessageContaining("append-only");

        assertError(
                () -> cluster.product()
                        .restoreWorkspace(RestoreWorkspaceRequest.newBuilder()
                                .setRequestId(rid())
                                .setWorkspaceId(ws.getId())
                                .build())
                        .getOperation(),
                Status.Code.FAILED_PRECONDITION,
                ErrorReason.ERROR_REASON_INVALID_STATE_TRANSITION);
    }

    private static Workspace createActive(String name) {
        Operation op = succeed(cluster.product()
                .createWorkspace(Workspaces.hobby(name).build())
                .getOperation());
        return get(op.getWorkspaceId());
    }

    private static Operation succeed(Operation op) {
        Operation done = Workspaces.awaitDone(cluster.product(), op.getId());
        assertThat(done.getStatus()).as("%s", done).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        return done;
    }

    private static Workspace get(String id) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace();
    }

    private static String rid() {
        return "req-" + UUID.randomUUID();
    }
}
