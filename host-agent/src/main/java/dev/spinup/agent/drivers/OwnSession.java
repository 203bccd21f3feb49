package dev.spinup.agent.drivers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Workspaces, VMs and Caddy outlive the agent: each runs in a session of its own (setsid), so a
 * Ctrl-C in the terminal that runs the agent (SIGINT to its whole process group) or a closed
 * terminal (SIGHUP) stops the agent and leaves them running, for the next agent to adopt. A child
 * of the JVM is never a process-group leader, so setsid execs in place: the pid the agent records
 * is the workload's own.
 */
public final class OwnSession {
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private OwnSession() {}

    /** {@code command}, run in a new session where setsid exists (util-linux; every Debian has it). */
    public static List<String> command(List<String> command) {
        if (!Files.isExecutable(SETSID)) {
            return command;
        }
        List<String> all = new ArrayList<>(command.size() + 1);
        all.add(SETSID.toString());
        all.addAll(command);
        return all;
    }
}
