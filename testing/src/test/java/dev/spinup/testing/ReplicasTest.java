package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.core.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two control-plane replicas on one Postgres. Replica A runs no jobs and holds the agent's session;
 * replica B runs every job. So each command the agent gets was produced by a job on B and reached
 * it through A (outbox + NOTIFY), and each result A receives wakes a job on B. When A dies the
 * agent moves to B.
 */
class ReplicasTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static ControlPlane a;
    static ControlPlane b;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        b = cluster.controlPlane();
        a = cluster.startReplica(false);
        cluster.startAgentOn(new Envelope(8, 16, 100), List.of(a, b));
    }

    @Test
    void commandsFromJobsOnOneReplicaReachAnAgentOnTheOtherAndAgentsFailOver() {
        assertThat(metric(a, "spinup_agent_sessions"))
                .as("the agent dials the first address")
                .isEqualTo(1);
        assertThat(metric(b, "spinup_agent_sessions")).isZero();

        // Calls go to A, which runs no jobs; only B can run them, and only A can talk to the agent.
        List<Operation> ops = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ops.add(cluster.product(a)
                    .createWorkspace(Workspaces.hobby("via-a-" + i).build())
                    .getOperation());
        }
        for (Operation op : ops) {
            assertThat(Workspaces.awaitDone(cluster.product(a), op.getId()).getStatus())
                    .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        }
        assertThat(metric(b, "spinup_operation_step_duration_seconds_count\\{step=\"provision\",verb=\"create\"}"))
                .as("replica B ran the steps")
                .isEqualTo(5);
        assertThat(metric(a, "spinup_operation_step_duration_seconds_count\\{step=\"provision\",verb=\"create\"}"))
                .as("replica A ran none")
                .isZero();
        assertThat(metric(a, "spinup_agent_commands_sent_total\\{kind=\"provision_vm\",via=\"outbox\"}"))
                .as("replica A delivered their commands")
                .isEqualTo(5);

        cluster.stopReplica(a);
        Eventually.await(
                Duration.ofSeconds(30), "the agent to reconnect to B", () -> metric(b, "spinup_agent_sessions") == 1);
        Operation after = cluster.product(b)
                .createWorkspace(Workspaces.hobby("after-failover").build())
                .getOperation();
        assertThat(Workspaces.awaitDone(cluster.product(b), after.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
    }

    private static double metric(ControlPlane replica, String series) {
        return Workspaces.metric(replica.metricsPort(), series).orElse(0);
    }
}
