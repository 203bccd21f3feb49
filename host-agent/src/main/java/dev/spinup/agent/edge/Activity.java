package dev.spinup.agent.edge;

import dev.spinup.agent.drivers.TcpSockets;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * When this host's workspaces were last used: each request the edge lets through to a private
 * name or a preview (the verifier sees them), each request to a published app (Caddy logs them,
 * see {@link PublishedRequests}), and each moment a browser holds a connection open to its IDE
 * (Caddy keeps no idle connections to an IDE, so an established one is a workbench in use). Reported with every
 * heartbeat, then forgotten: the control plane keeps {@code last_active_at}.
 */
public final class Activity {
    private final Clock clock;
    private final ConcurrentMap<String, Instant> used = new ConcurrentHashMap<>();

    public Activity(Clock clock) {
        this.clock = clock;
    }

    /** A request to the workspace went through the edge now. */
    void touch(String workspaceId) {
        touch(workspaceId, clock.instant());
    }

    /** A request to the workspace went through the edge at {@code at}. */
    void touch(String workspaceId, Instant at) {
        used.merge(workspaceId, at, (a, b) -> a.isAfter(b) ? a : b);
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
        for (TcpSockets.Socket s : TcpSockets.all()) {
            if (s.state().equals(TcpSockets.ESTABLISHED) && wanted.contains(s.port())) {
                open.add(s.port());
            }
        }
        return open;
    }
}
