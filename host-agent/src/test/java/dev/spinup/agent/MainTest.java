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
        int exit = cl.execute(agentArgs(option, value));
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString().lines().findFirst()).contains(message);
        assertThat(err.toString()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    /** Another process on the edge's admin address (another Caddy) is one line naming it, not a stack trace. */
    @org.junit.jupiter.api.Test
    void aForeignEdgeOnTheAdminAddressIsOneLine() throws Exception {
        com.sun.net.httpserver.HttpServer foreign =
                com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        foreign.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        foreign.start();
        String admin = "127.0.0.1:" + foreign.getAddress().getPort();
        try {
            StringWriter err = new StringWriter();
            java.nio.file.Path config = java.nio.file.Files.writeString(dir.resolve("host-agent.conf"), "");
            int exit = dev.spinup.api.Settings.load(
                            "host-agent", java.util.Map.of("SPINUP_CONFIG_FILE", config.toString()), java.util.Set.of())
                    .execute(new Main(), agentArgs("--edge", "caddy", "--edge-admin", admin), new PrintWriter(err));
            assertThat(exit).isEqualTo(2);
            assertThat(err.toString().lines().toList())
                    .singleElement()
                    .asString()
                    .contains("the edge admin address " + admin + " is answered by a process this agent did not start");
        } finally {
            foreign.stop(0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = ';',
            value = {
                // where the value came from is named; the environment wins over the file
                "file;;SPINUP_AGENT_HEARTBEAT_SECONDS=soon;'soon' is not an int (from CONFIG: SPINUP_AGENT_HEARTBEAT_SECONDS)",
                "env over file;soon;SPINUP_AGENT_HEARTBEAT_SECONDS=5;'soon' is not an int (from environment variable SPINUP_AGENT_HEARTBEAT_SECONDS)",
                "a name no setting has;;SPINUP_AGENT_HEARTBEAT_SECOND=5;CONFIG: SPINUP_AGENT_HEARTBEAT_SECOND is not a setting of spinup-host-agent",
            })
    void aSettingFromTheEnvironmentOrTheConfigFileIsCheckedAndNamedLikeAFlag(
            String what, String environment, String line, String message) throws Exception {
        java.nio.file.Path config = dir.resolve("host-agent.conf");
        java.nio.file.Files.writeString(config, "SPINUP_AGENT_DATA_DIR=" + dir + "\n" + line + "\n");
        java.util.Map<String, String> env =
                new java.util.HashMap<>(java.util.Map.of("SPINUP_CONFIG_FILE", config.toString()));
        if (environment != null) {
            env.put("SPINUP_AGENT_HEARTBEAT_SECONDS", environment);
        }
        StringWriter err = new StringWriter();
        int exit = dev.spinup.api.Settings.load("host-agent", env, java.util.Set.of())
                .execute(
                        new Main(),
                        new String[] {"--control-plane", "127.0.0.1:1", "--metrics-port", "0"},
                        new PrintWriter(err));
        assertThat(exit).as(what).isEqualTo(2);
        assertThat(err.toString().lines().toList()).hasSize(1);
        assertThat(err.toString()).contains(message.replace("CONFIG", config.toString()));
    }

    /** An agent's command line with the settings it needs (nothing answers on them), then {@code more}. */
    private String[] agentArgs(String... more) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
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
                "0"));
        args.addAll(java.util.List.of(more));
        return args.toArray(String[]::new);
    }
}
