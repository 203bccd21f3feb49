package dev.spinup.agent.edge;

import dev.spinup.agent.drivers.VmDriver;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What this host's workspaces listen on besides their apps and IDEs ({@link VmDriver#previewPorts}),
 * looked at no more than once a second however many preview requests and heartbeats ask: a scan
 * of every process's sockets is cheap, not free.
 */
public final class PreviewPorts {
    private static final long FRESH_NANOS = 1_000_000_000L;

    /** No previews (an edge without a registry of its own). */
    public static final PreviewPorts NONE = new PreviewPorts(Map::of);

    private final Supplier<Map<String, Map<Integer, String>>> scan;
    private Map<String, Map<Integer, String>> last = Map.of();
    private long scannedAt;
    private boolean scanned;

    public PreviewPorts(VmDriver driver) {
        this(driver::previewPorts);
    }

    PreviewPorts(Supplier<Map<String, Map<Integer, String>>> scan) {
        this.scan = scan;
    }

    /** workspace → port → where this host dials it (host:port), as of at most a second ago. */
    public synchronized Map<String, Map<Integer, String>> now() {
        long t = System.nanoTime();
        if (!scanned || t - scannedAt >= FRESH_NANOS) {
            last = Map.copyOf(scan.get());
            scannedAt = t;
            scanned = true;
        }
        return last;
    }

    /** Where this host dials {@code port} of {@code workspaceId}, or null if it does not listen there. */
    public String dial(String workspaceId, int port) {
        return now().getOrDefault(workspaceId, Map.of()).get(port);
    }
}
