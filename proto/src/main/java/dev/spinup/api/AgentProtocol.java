package dev.spinup.api;

/** Limits of the host-agent link that both ends must agree on. */
public final class AgentProtocol {
    private AgentProtocol() {}

    /**
     * Largest command the control plane sends and the agent accepts. A host's whole routing table
     * travels in one ApplyEdgeRoutes: about 90 bytes per route, so this allows some 700,000 routes.
     * gRPC's default (4 MiB) would be hit at about 45,000.
     */
    public static final int MAX_COMMAND_BYTES = 64 << 20;

    /** Largest event the control plane accepts (an Inventory lists every workspace on the host). */
    public static final int MAX_EVENT_BYTES = 16 << 20;
}
