package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.ListWorkspacesRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationVerb;
import dev.spinup.api.v1.StepStatus;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.Status;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** CreateWorkspace through real sockets, real mTLS, a real agent and a real workspace process. */
class CreateWorkspaceEndToEndTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.startAgent(new Envelope(8, 16, 100));
    }

    @Test
    void createdWorkspaceBecomesActiveAndServesTheStarterPage() {
        Operation op = cluster.product()
                .createWorkspace(Workspaces.hobby("Ada's workspace").build())
                .getOperation();
        assertThat(op.getVerb()).isEqualTo(OperationVerb.OPERATION_VERB_CREATE);
        assertThat(op.getStatus())
                .isIn(OperationStatus.OPERATION_STATUS_PENDING, OperationStatus.OPERATION_STATUS_RUNNING);

        Operation done = Workspaces.awaitDone(cluster.product(), op.getId());
        assertThat(done.getStatus()).as("%s", done).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        assertThat(done.getStepsList()).extracting(s -> s.getName()).containsExactly("provision", "start", "routes");
        assertThat(done.getStepsList()).allSatisfy(s -> {
            assertThat(s.getStatus()).isEqualTo(StepStatus.STEP_STATUS_DONE);
            assertThat(s.getAttempts()).isEqualTo(1);
        });

        Workspace ws = cluster.product()
                .getWorkspace(GetWorkspaceRequest.newBuilder()
                        .setWorkspaceId(op.getWorkspaceId())
                        .build())
                .getWorkspace();
        assertThat(ws.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(ws.getCurrentOperationId()).isEmpty();
        assertThat(ws.getHostId()).isEqualTo(host.id().toString());
        assertThat(ws.getUrl()).startsWith("http://127.0.0.1:");
        String ideEndpoint = cluster.database()
                .withHandle(h -> h.createQuery("SELECT ide_endpoint FROM workspaces WHERE id = :id")
                        .bind("id", java.util.UUID.fromString(ws.getId()))
                        .mapTo(String.class)
                        .one());
        assertThat(ideEndpoint).as("a host without an IDE reports none").isNull();

        HttpResponse<String> page = Workspaces.get(ws.getUrl());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Your SpinUp workspace is running").contains("Ada&#39;s workspace");
    }

    @Test
    void sameRequestIdReturnsTheSameOperationAndCreatesNothing() {
        CreateWorkspaceRequest request = Workspaces.hobby("twice").build();
        Operation first = cluster.product().createWorkspace(request).getOperation();
        int before = countWorkspaces();

        Operation again = cluster.product().createWorkspace(request).getOperation();

        assertThat(again.getId()).isEqualTo(first.getId());
        assertThat(again.getWorkspaceId()).isEqualTo(first.getWorkspaceId());
        assertThat(countWorkspaces()).isEqualTo(before);
        Workspaces.awaitDone(cluster.product(), first.getId());
    }

    @Test
    void sameRequestIdWithDifferentParametersIsRefused() {
        CreateWorkspaceRequest request = Workspaces.hobby("original").build();
        Operation first = cluster.product().createWorkspace(request).getOperation();

        var info = assertError(
                () -> cluster.product()
                        .createWorkspace(
                                request.toBuilder().setDisplayName("other").build())
                        .getOperation(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_REQUEST_ID_REUSED);
        assertThat(info.getMetadataMap()).containsEntry("operationId", first.getId());
        Workspaces.awaitDone(cluster.product(), first.getId());
    }

    @Test
    void callWithoutTokenIsRefused() {
        assertError(
                () -> cluster.anonymous()
                        .createWorkspace(Workspaces.hobby("nope").build())
                        .getOperation(),
                Status.Code.UNAUTHENTICATED,
                ErrorReason.ERROR_REASON_TOKEN_MISSING);
        assertError(
                () -> cluster.client("spn_not-a-real-token")
                        .getWorkspace(GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId("01234567-89ab-7def-8123-456789abcdef")
                                .build())
                        .getWorkspace(),
                Status.Code.UNAUTHENTICATED,
                ErrorReason.ERROR_REASON_TOKEN_INVALID);
    }

    @Test
    void aWorkspaceThatDiesOnItsOwnIsReportedNotLost() throws Exception {
        Operation op = cluster.product()
                .createWorkspace(Workspaces.hobby("fragile").build())
                .getOperation();
        assertThat(Workspaces.awaitDone(cluster.product(), op.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        double before = crashes();
        long pid = Long.parseLong(java.nio.file.Files.readString(host.dataDir()
                        .resolve("workspaces")
                        .resolve(op.getWorkspaceId())
                        .resolve("pid"))
                .trim());

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        Eventually.await(
                java.time.Duration.ofSeconds(30), "the crash to reach the control plane", () -> crashes() > before);
    }

    private double crashes() {
        return Workspaces.metric(cluster.metricsPort(), "spinup_workspace_local_events_total\\{kind=\"crashed\"}")
                .orElse(0);
    }

    private int countWorkspaces() {
        return cluster.admin()
                .listWorkspaces(
                        ListWorkspacesRequest.newBuilder().setPageSize(500).build())
                .getWorkspacesCount();
    }
}
