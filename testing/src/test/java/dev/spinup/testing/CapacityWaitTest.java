package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.WorkspaceServiceGrpc.WorkspaceServiceBlockingStub;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.engine.StepTimeouts;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * In an elastic region a create or restore that finds no room still gets its operation at once
 * and waits for a host in its first step, saying what it waits on; when room appears it takes it
 * and goes on; past its deadline it ends FAILED with NO_CAPACITY and holds nothing. Here no
 * provider is offered (the region is marked elastic, no host comes), so room appears only when a
 * workspace leaves; ElasticRegionTest grows a region for real.
 */
class CapacityWaitTest {
    static final Duration CAPACITY_WAIT = Duration.ofSeconds(15);

    @RegisterExtension
    static final SpinUpExtension spinup =
            SpinUpExtension.with(b -> b.stepTimeouts(StepTimeouts.defaults().withCapacity(CAPACITY_WAIT)));

    static SpinUpCluster cluster;
    static WorkspaceServiceBlockingStub api;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        api = cluster.product();
        cluster.startAgent(new Envelope(1, 1, 5)); // room for one HOBBY workspace
        cluster.database().inTransactionVoid(tx -> tx.fleet().setProvider(SpinUpCluster.REGION, "local"));
    }

    @Test
    void aCreateThatFindsNoRoomWaitsThenFailsWithNoCapacityHoldingNothing() {
        String first = Workspaces.createActive(api, "first");
        Operation waiting =
                api.createWorkspace(Workspaces.hobby("no-room").build()).getOperation();

        Operation seen = Eventually.await(
                Duration.ofSeconds(30),
                "the create waiting for capacity",
                () -> operation(waiting.getId()),
                op -> op.getStepsCount() > 0
                        && op.getSteps(0).getName().equals("capacity")
                        && !op.getSteps(0).getWaitingOn().isEmpty());
        assertThat(seen.getSteps(0).getWaitingOn())
                .startsWith("waiting for a new host in region " + SpinUpCluster.REGION
                        + ": a scale-up to be decided (for ");
        assertThat(seen.getStepsList())
                .extracting(s -> s.getName())
                .containsExactly("capacity", "provision", "start", "routes");

        Operation done = Workspaces.awaitDone(api, waiting.getId());
        assertThat(done.getStatus()).isEqualTo(OperationStatus.OPERATION_STATUS_FAILED);
        assertThat(done.getError().getReason()).isEqualTo(ErrorReason.ERROR_REASON_NO_CAPACITY);
        assertThat(done.getError().getMessage())
                .contains("no host in region " + SpinUpCluster.REGION + " had room within " + CAPACITY_WAIT.toSeconds()
                        + " s")
                .contains("no scale-up was made");
        assertThat(workspaceState(waiting.getWorkspaceId())).isEqualTo(WorkspaceState.WORKSPACE_STATE_DELETED);
        java.util.List<?> left = cluster.database().read(tx -> tx.scaling().capacityWaits(SpinUpCluster.REGION));
        assertThat(left).as("nothing left waiting").isEmpty();
        Workspaces.awaitSucceeded(api, Workspaces.request(api, "delete", first));
    }

    @Test
    void aRestoreThatFindsNoRoomStaysArchivedUntilAHostHasRoomThenTakesIt() {
        String archived = Workspaces.createActive(api, "to-archive");
        Workspaces.awaitSucceeded(api, Workspaces.request(api, "archive", archived));
        String holder = Workspaces.createActive(api, "holder"); // takes the host's only slot

        Operation restore = Workspaces.request(api, "restore", archived);
        Eventually.await(
                Duration.ofSeconds(30),
                "the restore waiting for capacity",
                () -> operation(restore.getId()),
                op -> op.getStepsCount() > 0 && !op.getSteps(0).getWaitingOn().isEmpty());
        assertThat(workspaceState(archived))
                .as("archived while it waits")
                .isEqualTo(WorkspaceState.WORKSPACE_STATE_ARCHIVED);

        Workspaces.awaitSucceeded(api, Workspaces.request(api, "delete", holder)); // room again
        Workspaces.awaitSucceeded(api, restore);
        assertThat(workspaceState(archived)).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(operation(restore.getId()).getSteps(0).getName()).isEqualTo("capacity");
        Workspaces.awaitSucceeded(api, Workspaces.request(api, "delete", archived));
    }

    private static Operation operation(String id) {
        return api.getOperation(
                        GetOperationRequest.newBuilder().setOperationId(id).build())
                .getOperation();
    }

    private static WorkspaceState workspaceState(String id) {
        return api.getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace()
                .getState();
    }
}
