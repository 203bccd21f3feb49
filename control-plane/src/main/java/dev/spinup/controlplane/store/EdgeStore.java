package dev.spinup.controlplane.store;

import dev.spinup.controlplane.core.EdgeMode;
import dev.spinup.controlplane.core.WorkspaceState;
import java.util.List;
import java.util.UUID;

/** What a host's edge routing table is derived from, and its generations. */
public interface EdgeStore {
    /**
     * A workspace a host's edge routes: one placed on it ({@code here}), or one whose home it is
     * living on another host (with that host's edge address, if it runs one). {@code mode} is the
     * route its transition recorded, null when its state says it.
     */
    record Route(
            UUID workspaceId,
            String displayName,
            WorkspaceState state,
            EdgeMode mode,
            String endpoint,
            String ideEndpoint,
            boolean appPublic,
            boolean here,
            String elsewhereEdge,
            List<String> domains,
            List<Integer> publicPorts) {}

    /**
     * The host's next generation. The upsert holds the host's row until the transaction ends, so
     * generations are handed out in the order their tables are read: a higher one never carries
     * older state. {@code first} is the generation of a host that has none yet.
     */
    long nextGeneration(UUID hostId, long first);

    /** Every workspace the host's edge routes, in id order. */
    List<Route> routes(UUID hostId);
}
