package dev.spinup.agent.edge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * When this host's workspaces were last used: each request the edge lets through to a private
 * name (a published app's requests do not pass the verifier), and each moment a browser holds a connection open to its IDE (Caddy keeps no idle
 * connections to an IDE, so an established one is a workbench in use). Reported with every
 * heartbeat, then forgotten: the control plane keeps {@code last_active_at}.
 */
public final class Activity {
    /** /proc/net/tcp's state of an established connection. */
    private static final String ESTABLISHED = "01";

    private static final List<Path> TCP_TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

    private final Clock clock;
    private final ConcurrentMap<String, Instant> used = new ConcurrentHashMap<>();

    public Activity(Clock clock) {
        this.clock = clock;
    }

    /** A request to the workspace went through the edge now. */
    void touch(String workspaceId) {
        Instant now = clock.instant();
        used.merge(workspaceId, now, (a, b) -> a.isAfter(b) ? a : b);
    }

    /**
     * The workspaces used since the last call, each with when it last was; those with a
     * connection open to their IDE's port ({@code idePorts}: workspace → port) count as used now.
     */
    public Map<String, Instant> take(Map<String, Integer> idePorts) {
        if (!idePorts.isEmpty()) {
            Set<Integer> open = establishedLocalPorts(idePorts.values());
            idePorts.forEach((workspace, port) -> {
                if (open.contains(port)) {
                    touch(workspace);
                }
            });
        }
        Map<String, Instant> taken = new HashMap<>();
        for (String workspace : Set.copyOf(used.keySet())) {
            Instant at = used.remove(workspace);
            if (at != null) {
                taken.put(workspace, at);
            }
        }
        return taken;
    }

    /** Which of {@code ports} have an established TCP connection on this machine's side (Linux). */
    static Set<Integer> establishedLocalPorts(Collection<Integer> ports) {
        Set<Integer> wanted = Set.copyOf(ports);
        Set<Integer> open = new HashSet<>();
        for (Path table : TCP_TABLES) {
            List<String> lines;
            try {
                lines = Files.readAllLines(table);
            } catch (IOException e) {
                continue; // no IPv6, or not Linux: nothing to see there
            }
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 4 || !f[3].equals(ESTABLISHED)) {
                    continue;
                }
                String local = f[1];
                int port = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16);
                if (wanted.contains(port)) {
                    open.add(port);
                }
            }
        }
        return open;
    }
}
