package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.AccessTarget;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.Operation;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.Status;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A workspace that is still active but in a transition that stops it gets no grant: the link
 * would open onto a workspace about to go away. The refusal names the operation to wait for.
 */
class AccessDuringTransitionTest {
    static final PauseAt atStop = new PauseAt("stop");

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.hooks(atStop));

    @Test
    void aSuspendInFlightRefusesGrantsUntilItEnds() throws Exception {
        SpinUpCluster cluster = spinup.cluster();
        cluster.startAgentWithEdge(new Envelope(4, 8, 50), null);
        var product = cluster.product();
        String ws = Workspaces.createActive(product, "Going to sleep");
        assertThat(Workspaces.grant(product, ws, AccessTarget.ACCESS_TARGET_APP).getUrl())
                .as("active and idle")
                .isNotEmpty();

        Operation suspend = Workspaces.request(product, "suspend", ws);
        atStop.awaitReached(Duration.ofSeconds(30));
        try {
            var info = assertError(
                    () -> Workspaces.grant(product, ws, AccessTarget.ACCESS_TARGET_APP),
                    Status.Code.FAILED_PRECONDITION,
                    ErrorReason.ERROR_REASON_WORKSPACE_NOT_ACTIVE);
            assertThat(info.getMetadataMap())
                    .containsEntry("state", "active")
                    .containsEntry("operationId", suspend.getId());
        } finally {
            atStop.release();
        }
        Workspaces.awaitSucceeded(product, suspend);
        assertError(
                () -> Workspaces.grant(product, ws, AccessTarget.ACCESS_TARGET_APP),
                Status.Code.FAILED_PRECONDITION,
                ErrorReason.ERROR_REASON_WORKSPACE_NOT_ACTIVE);
    }
}
