package dev.spinup.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The benchmarks in their quick form, so CI notices when one stops working. Figures are printed,
 * never asserted: timing belongs to the full run (./spinup bench), not to a test.
 */
class QuickBenchTest {
    @TempDir
    Path results;

    /**
     * Runs one benchmark and asserts it exited 0; a failure's message carries the end of what the
     * benchmark printed to stderr (its stack trace), so a CI log names the reason.
     */
    private static void run(String... args) {
        StringWriter err = new StringWriter();
        int code =
                new CommandLine(new Main()).setErr(new PrintWriter(err, true)).execute(args);
        String printed = err.toString();
        System.err.print(printed);
        assertThat(code)
                .as(
                        "%s exited %d; the end of its stderr:%n%s",
                        args[0], code, printed.substring(Math.max(0, printed.length() - 4000)))
                .isZero();
    }

    @Test
    void edgeApplyRunsAndWritesItsResults() throws Exception {
        run("edge-apply", "--quick", "--results", results.toString());
        assertThat(Files.readString(results.resolve("edge-apply.json")))
                .contains("\"routes\": 1000")
                .contains("\"ratio_p50\"");
    }

    @Test
    void engineRunsAndWritesItsResults() throws Exception {
        run("engine", "--quick", "--results", results.toString());
        assertThat(Files.readString(results.resolve("engine.json")))
                .contains("\"creates_per_second\"")
                .contains("\"raw_db_scheduler_executions_per_second\"")
                .contains("\"pickup_job_on_another_replica\"");
    }

    @Test
    void vmBootRunsAndWritesItsResults() throws Exception {
        run("vm-boot", "--quick", "--results", results.toString());
        assertThat(Files.readString(results.resolve("vm-boot.json")))
                .contains("\"bare_qemu\"")
                .contains("\"ratio_control_plane_p50\"");
    }

    @Test
    void placementRunsWithoutOversubscribingAHost() throws Exception {
        // exit code: 0 unless a host was oversubscribed
        run("placement", "--quick", "--results", results.toString());
        assertThat(Files.readString(results.resolve("placement.json")))
                .contains("\"oversubscribed_hosts\": 0")
                .contains("\"reference_placements_per_second_16_callers\"");
    }

    @Test
    void createActiveRunsAndWritesItsResults() throws Exception {
        run("create-active", "--quick", "--results", results.toString());
        assertThat(Files.readString(results.resolve("create-active.json")))
                .contains("\"create_to_active\"")
                .contains("\"control_plane_share\"");
    }

    @Test
    void ideReadyRunsAndWritesItsResults() throws Exception {
        run("ide-ready", "--quick", "--results", results.toString());
        assertThat(Files.readString(results.resolve("ide-ready.json")))
                .contains("\"create_to_ide_interactive\": {\"n\": 3")
                .contains("\"ide_rss_mib_median\"")
                .contains("\"save_to_preview\": {\"n\": 3")
                .contains("\"dev_server_rss_mib_median\"");
    }

    @Test
    void fanInRunsAndEveryAgentComesBackAfterItsReplicaIsKilled() throws Exception {
        // exit code: 0 only if every agent was reconciled on the other replica
        run("fan-in", "--quick", "--results", results.toString());
        assertThat(Files.readString(results.resolve("fan-in.json")))
                .contains("\"bare_grpc_java\"")
                .contains("\"ratio_ingest\"")
                .contains("\"sessions_on_other_replica\": 200");
    }

    @Test
    void scaleUpRunsAndWritesItsResults() throws Exception {
        run("scale-up", "--quick", "--results", results.toString());
        assertThat(Files.readString(results.resolve("scale-up.json")))
                .contains("\"create_through_scale_up\"")
                .contains("\"new_agent_start_and_enrollment\"")
                .contains("\"baseline_create_with_room\"");
    }

    @Test
    void recoverRunsAndWritesItsResults() throws Exception {
        // exit code: 0 only if every workspace of the lost host is active on the other
        run("recover", "--quick", "--results", results.toString());
        assertThat(Files.readString(results.resolve("recover.json")))
                .contains("\"workspaces\": 5")
                .contains("\"each_recover\"")
                .contains("\"each_create\"");
    }
}
