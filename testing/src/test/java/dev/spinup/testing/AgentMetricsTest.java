package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.Metrics;
import dev.spinup.controlplane.core.Envelope;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A host agent's /metrics after real work (a create and a suspend through its edge), served by the
 * endpoint its Main opens on --metrics-port: commands by kind and outcome with their durations,
 * the outbox's depth, fsync latency of both durable files, driver failures, edge applies, what
 * runs, the gRPC client's calls, the JVM and the build.
 */
class AgentMetricsTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;
    static Metrics.Endpoint endpoint;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.startAgentWithEdge(new Envelope(4, 8, 50), null);
        endpoint = new Metrics.Endpoint("127.0.0.1", Ports.free(), host.agent().meters());
    }

    @AfterAll
    static void stop() {
        endpoint.close();
    }

    @Test
    void theAgentsWorkShowsOnItsMetricsEndpoint() {
        String before = scrape();
        assertThat(value(before, "spinup_agent_commands_total\\{kind=\"start_vm\",outcome=\"failed\"}"))
                .as("series exist from the start")
                .isZero();

        String id = Workspaces.createActive(cluster.product(), "metered-host");
        assertThat(value(scrape(), "spinup_agent_vms_running")).isEqualTo(1);
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "suspend", id));

        String text = Eventually.await(
                Duration.ofSeconds(10),
                "the suspend's commands to be counted",
                AgentMetricsTest::scrape,
                t -> value(t, "spinup_agent_commands_total\\{kind=\"stop_vm\",outcome=\"succeeded\"}") >= 1);
        assertThat(value(text, "spinup_agent_commands_total\\{kind=\"start_vm\",outcome=\"succeeded\"}"))
                .isEqualTo(1);
        assertThat(value(text, "spinup_agent_command_duration_seconds_count\\{kind=\"start_vm\"}"))
                .isEqualTo(1);
        assertThat(value(text, "spinup_agent_command_duration_seconds_sum\\{kind=\"start_vm\"}"))
                .isBetween(0.0, 120.0);
        assertThat(text).containsPattern("spinup_agent_command_duration_seconds_bucket\\{kind=\"stop_vm\",le=");
        assertThat(value(text, "spinup_agent_vms_running")).isZero();
        assertThat(value(text, "spinup_agent_fsync_seconds_count\\{file=\"journal\"}"))
                .as("results are journalled before they are sent")
                .isGreaterThanOrEqualTo(2);
        assertThat(value(text, "spinup_agent_fsync_seconds_count\\{file=\"command_record\"}"))
                .isGreaterThanOrEqualTo(2);
        assertThat(value(text, "spinup_agent_edge_applies_total\\{outcome=\"loaded\",trigger=\"command\"}"))
                .as("each transition's routes, loaded into Caddy")
                .isGreaterThanOrEqualTo(2);
        assertThat(value(text, "spinup_agent_edge_load_seconds_count")).isGreaterThanOrEqualTo(2);
        assertThat(value(text, "spinup_agent_outbox_depth")).isBetween(0.0, 10_000.0);
        assertThat(value(text, "spinup_agent_connected")).isEqualTo(1);
        assertThat(value(text, "spinup_agent_driver_failures_total\\{code=\"[a-z_]+\",kind=\"start_vm\"}"))
                .as("no driver failed")
                .isEqualTo(-1);
        assertThat(text)
                .containsPattern("(?m)^grpc_client_requests_sent_messages_total\\{method=\"Events\"")
                .containsPattern("(?m)^jvm_memory_used_bytes\\{")
                .containsPattern("(?m)^process_cpu_usage ")
                .containsPattern("(?m)^spinup_build_info\\{commit=\"([0-9a-f]{7,}|unknown)\",version=\"[^\"]+\"} 1");
    }

    private static String scrape() {
        return Workspaces.get("http://127.0.0.1:" + endpoint.port() + "/metrics")
                .body();
    }

    /** The series' value, or -1 when it is not there. */
    private static double value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " ([0-9.eE+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
