package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.Operation;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * external_workspace_id names one workspace that is not deleted: a product that retries a create
 * with a new request_id (after a timeout, say) gets the workspace it already has, by name, instead
 * of a second VM.
 */
class ExternalWorkspaceIdTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        cluster.startAgent(new dev.spinup.controlplane.core.Envelope(8, 16, 100));
    }

    @Test
    void aSecondCreateUnderALiveExternalIdIsRefusedAndNamesTheWorkspace() {
        CreateWorkspaceRequest first = create("retried-after-a-timeout");
        String id = Workspaces.createActive(cluster.product(), first.toBuilder());

        var info = assertError(
                () -> cluster.product()
                        .createWorkspace(first.toBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .build())
                        .getOperation(),
                Status.Code.ALREADY_EXISTS,
                ErrorReason.ERROR_REASON_EXTERNAL_WORKSPACE_ID_IN_USE);
        assertThat(info.getMetadataMap())
                .containsEntry("externalWorkspaceId", first.getExternalWorkspaceId())
                .containsEntry("workspaceId", id);
        assertThat(cluster.product().createWorkspace(first).getOperation().getWorkspaceId())
                .as("the same request_id is still a retry of the first create")
                .isEqualTo(id);

        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "delete", id));
        String again =
                Workspaces.createActive(cluster.product(), first.toBuilder().setRequestId("req-" + UUID.randomUUID()));
        assertThat(again).as("a deleted workspace's external id is free again").isNotEqualTo(id);
    }

    @Test
    void concurrentCreatesUnderOneExternalIdMakeOneWorkspace() throws Exception {
        CreateWorkspaceRequest request = create("raced");
        int copies = 8;
        ExecutorService pool = Executors.newFixedThreadPool(copies);
        try {
            List<Future<Operation>> calls = new ArrayList<>();
            for (int i = 0; i < copies; i++) {
                Callable<Operation> call = () -> cluster.product()
                        .createWorkspace(request.toBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .build())
                        .getOperation();
                calls.add(pool.submit(call));
            }
            List<Operation> created = new ArrayList<>();
            List<String> refusals = new ArrayList<>();
            for (Future<Operation> call : calls) {
                try {
                    created.add(call.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    StatusRuntimeException refused = (StatusRuntimeException) e.getCause();
                    refusals.add(refused.getStatus().getCode() + " "
                            + ApiAssertions.errorInfo(refused).getReason());
                }
            }
            assertThat(created).hasSize(1);
            assertThat(refusals).hasSize(copies - 1).containsOnly("ALREADY_EXISTS " + "EXTERNAL_WORKSPACE_ID_IN_USE");
            Workspaces.awaitSucceeded(cluster.product(), created.get(0));
        } finally {
            pool.shutdownNow();
        }
    }

    private static CreateWorkspaceRequest create(String name) {
        return Workspaces.hobby(name).build();
    }
}
