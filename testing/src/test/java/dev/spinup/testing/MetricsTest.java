package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** After real transitions, /metrics carries the documented catalogue with sane values. */
class MetricsTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.agentHeartbeat(Duration.ofSeconds(1)));

    static SpinUpCluster cluster;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        cluster.startAgent(new Envelope(4, 8, 50));
    }

    @Test
    void theCatalogueIsThereAfterATransition() {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("metered").build())
                .getOperation();
        Workspaces.awaitSucceeded(cluster.product(), create);
        Workspaces.awaitSucceeded(
                cluster.product(), Workspaces.request(cluster.product(), "suspend", create.getWorkspaceId()));
        assertError(
                () -> cluster.product()
                        .getWorkspace(GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(UUID.randomUUID().toString())
                                .build())
                        .getWorkspace(),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_WORKSPACE_NOT_FOUND);
        Eventually.await(
                Duration.ofSeconds(10),
                "a heartbeat to be ingested",
                () -> value("spinup_agent_events_total\\{kind=\"heartbeat\"}") >= 1);

        String text = Workspaces.get("http://127.0.0.1:" + cluster.metricsPort() + "/metrics")
                .body();

        assertThat(value("spinup_operations_started_total\\{verb=\"create\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value("spinup_operations_finished_total\\{status=\"succeeded\",verb=\"suspend\"}"))
                .isGreaterThanOrEqualTo(1);
        // Histograms: buckets and a count per verb and step; the step took less than a minute.
        assertThat(text)
                .containsPattern(
                        "spinup_operation_step_duration_seconds_bucket\\{step=\"provision\",verb=\"create\",le=\"[0-9.]+\"}");
        assertThat(value("spinup_operation_step_duration_seconds_count\\{step=\"start\",verb=\"create\"}"))
                .isEqualTo(1);
        assertThat(value("spinup_operation_step_duration_seconds_sum\\{step=\"start\",verb=\"create\"}"))
                .isBetween(0.0, 60.0);
        assertThat(value("spinup_operation_pickup_seconds_count\\{verb=\"create\"}"))
                .isEqualTo(1);
        assertThat(value("spinup_operation_pickup_seconds_max\\{verb=\"create\"}"))
                .isBetween(0.0, 5.0);
        assertThat(text).containsPattern("spinup_operation_pickup_seconds_bucket\\{verb=\"create\",le=\"[0-9.]+\"}");
        assertThat(value("spinup_placement_duration_seconds_count")).isGreaterThanOrEqualTo(1);
        assertThat(value("spinup_api_errors_total\\{method=\"GetWorkspace\",reason=\"workspace_not_found\"}"))
                .isEqualTo(1);
        assertThat(value("spinup_agent_sessions")).isEqualTo(1);
        // One replica: the steps' commands go to the agent as their transactions commit (the
        // NOTIFY of the same commit may reach the session first and send one from the outbox).
        double onCommit = 0;
        for (String kind : List.of("provision_vm", "start_vm", "apply_edge_routes", "stop_vm")) {
            onCommit += value("spinup_agent_commands_sent_total\\{kind=\"" + kind + "\",via=\"commit\"}");
        }
        assertThat(onCommit).as("commands sent as their transaction committed").isPositive();
        assertThat(value("spinup_agent_events_total\\{kind=\"result\"}")).isGreaterThanOrEqualTo(5);
        assertThat(value("spinup_agent_replay_buffer_depth_max")).isBetween(0.0, 10_000.0);
        assertThat(value("spinup_orphans_found_total")).isZero();
        assertThat(value("spinup_scheduler_due_executions")).isGreaterThanOrEqualTo(0);
        assertThat(value("spinup_scheduler_oldest_due_seconds")).isBetween(0.0, 3600.0);
        // the process beneath: its pool, its gRPC server, the JVM, the build
        assertThat(value("hikaricp_connections_max\\{pool=\"[^\"]+\"}")).isGreaterThanOrEqualTo(1);
        assertThat(text)
                .containsPattern("(?m)^hikaricp_connections_acquire_seconds_count\\{")
                .containsPattern(
                        "(?m)^grpc_server_processing_duration_seconds_count\\{method=\"GetWorkspace\",methodType=\"UNARY\",service=\"spinup.v1.WorkspaceService\",statusCode=\"NOT_FOUND\"} 1")
                .containsPattern("(?m)^grpc_server_requests_received_messages_total\\{method=\"Events\"")
                .containsPattern("(?m)^jvm_threads_live_threads ")
                .containsPattern("(?m)^process_uptime_seconds ")
                .containsPattern("(?m)^spinup_build_info\\{commit=\"([0-9a-f]{7,}|unknown)\",version=\"[^\"]+\"} 1");
    }

    /** The value of a series; fails when it is missing. */
    private static double value(String series) {
        String text = Workspaces.get("http://127.0.0.1:" + cluster.metricsPort() + "/metrics")
                .body();
        Matcher m = Pattern.compile("(?m)^" + series + " ([0-9.eE+-]+)$").matcher(text);
        assertThat(m.find()).as("series %s on /metrics", series).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
