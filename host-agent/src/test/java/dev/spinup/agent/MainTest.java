package dev.spinup.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** A bad setting stops the agent before it starts anything, with one line naming it: no stack trace. */
class MainTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(
            delimiter = ';',
            value = {
                "--capacity;4,8;--capacity must be vcpu,ram_gb,disk_gb (3 whole numbers of at least 0), not \"4,8\"",
                "--capacity;4,x,50;--capacity must be vcpu,ram_gb,disk_gb (3 whole numbers of at least 0), not \"4,x,50\"",
                "--capacity;-1,8,50;--capacity must be vcpu,ram_gb,disk_gb (3 whole numbers of at least 0), not \"-1,8,50\"",
                "--port-range;21000;--port-range must be first-last (2 whole numbers of at least 1), not \"21000\"",
                "--port-range;21010-21000;--port-range must be first-last with first <= last <= 65535, not 21010-21000",
            })
    void aBadValueIsOneLineNamingItsOption(String option, String value, String message) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main()).setErr(new PrintWriter(err));
        int exit = cl.execute(
                "--control-plane",
                "127.0.0.1:1",
                "--cert",
                dir.resolve("host.crt").toString(),
                "--key",
                dir.resolve("host.key").toString(),
                "--ca",
                dir.resolve("ca.crt").toString(),
                "--data-dir",
                dir.toString(),
                "--metrics-port",
                "0",
                option,
                value);
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString().lines().findFirst()).contains(message);
        assertThat(err.toString()).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
