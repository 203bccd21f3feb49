package dev.spinup.bench;

import dev.spinup.agent.HostAgent;
import dev.spinup.agent.drivers.NoopVmDriver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Real host agents with the no-op driver in a JVM of their own (see {@link ChildJvm}), so that a
 * benchmark's figures are the control plane's alone: its JVM no longer runs the agents' threads,
 * their garbage and their fsyncs. Commands on stdin, one a line; answers start with {@code @}:
 *
 * <ul>
 *   <li>{@code start HOST_DIR CONTROL_PLANE CA_CRT} starts an agent for the host whose certificate
 *       and key are in HOST_DIR (host.crt, host.key), dialling CONTROL_PLANE (host:port): {@code @started}
 *   <li>{@code connected}: {@code @connected N}, how many of them hold a session now
 * </ul>
 *
 * The agents stop when stdin closes.
 */
public final class AgentHosts {
    private AgentHosts() {}

    public static void main(String[] args) throws Exception {
        List<HostAgent> agents = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            for (String line; (line = in.readLine()) != null; ) {
                String[] words = line.trim().split(" ");
                switch (words[0]) {
                    case "start" -> {
                        agents.add(BenchCluster.startAgent(
                                Path.of(words[1]), words[2], Path.of(words[3]), new NoopVmDriver()));
                        System.out.println("@started");
                    }
                    case "connected" ->
                        System.out.println("@connected "
                                + agents.stream().filter(HostAgent::isConnected).count());
                    default -> System.out.println("@error unknown command " + line);
                }
            }
        } finally {
            agents.forEach(HostAgent::close);
        }
    }
}
