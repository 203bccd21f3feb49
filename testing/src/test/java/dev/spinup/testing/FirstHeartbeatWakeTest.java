package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.engine.StepTimeouts;
import dev.spinup.controlplane.fleet.FleetTimings;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A create waiting for room in an elastic region takes a new host of the region when the host's
 * first heartbeat is written, not at its own next look — set here to ten minutes, so nothing but
 * that wake-up can move it within the test's deadline.
 */
class FirstHeartbeatWakeTest {
    @RegisterExtension
    static final SpinUpExtension spinup =
            SpinUpExtension.with(b -> b.stepTimeouts(StepTimeouts.defaults().withCapacity(Duration.ofMinutes(20)))
                    .fleetTimings(FleetTimings.defaults().withCapacityLookAgain(Duration.ofMinutes(10))));

    @Test
    void aWaitingCreateTakesANewHostAtItsFirstHeartbeat() {
        SpinUpCluster cluster = spinup.cluster();
        cluster.startAgent(new Envelope(1, 1, 5)); // room for one HOBBY workspace
        cluster.database().inTransactionVoid(tx -> tx.fleet().setProvider(SpinUpCluster.REGION, "local"));
        Workspaces.createActive(cluster.product(), "first");
        Operation waiting = cluster.product()
                .createWorkspace(Workspaces.hobby("second").build())
                .getOperation();
        Eventually.await(
                Duration.ofSeconds(30),
                "the create waiting for room",
                () -> operation(cluster, waiting.getId()),
                op -> op.getStepsCount() > 0
                        && op.getSteps(0).getName().equals("capacity")
                        && !op.getSteps(0).getWaitingOn().isEmpty());

        SpinUpCluster.TestHost added = cluster.startAgent(new Envelope(1, 1, 5));

        Operation done = Workspaces.awaitDone(cluster.product(), waiting.getId(), Duration.ofSeconds(60));
        assertThat(done.getStatus())
                .as(done.getError().getMessage())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        assertThat(cluster.product()
                        .getWorkspace(dev.spinup.api.v1.GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(done.getWorkspaceId())
                                .build())
                        .getWorkspace()
                        .getHostId())
                .isEqualTo(added.id().toString());
    }

    private static Operation operation(SpinUpCluster cluster, String id) {
        return cluster.product()
                .getOperation(
                        GetOperationRequest.newBuilder().setOperationId(id).build())
                .getOperation();
    }
}
