package dev.spinup.agent.edge;

import dev.spinup.agent.drivers.DriverException;
import dev.spinup.api.v1.ApplyEdgeRoutes;
import java.io.IOException;
import java.util.Set;

/** This host's edge: takes the whole routing table at every transition (ApplyEdgeRoutes). */
public interface EdgeController extends AutoCloseable {
    /**
     * Applies the table. Returns what happened, for the command's result; an older generation than
     * the one applied is ignored. Throws when the edge did not take it (the step fails with the reason).
     */
    String apply(ApplyEdgeRoutes routes) throws DriverException, IOException;

    /**
     * This host's workspaces changed (one stopped, started, was destroyed or died): serve the last
     * table again as they allow it now. Never throws; a failure is logged and the ports the running
     * config proxies to stay held.
     */
    default void refresh() {}

    /** The local ports the config the edge runs (or may be loading) proxies to: not to be given to another workspace. */
    default Set<Integer> proxiedPorts() {
        return Set.of();
    }

    /**
     * How this edge's access checks ended since the agent started: counts by outcome (allowed,
     * redeemed, or the refusal's reason), sent with every heartbeat.
     */
    default java.util.Map<String, Long> accessOutcomes() {
        return java.util.Map.of();
    }

    /**
     * The workspaces used since the last call (requests let through, a connection open to the
     * IDE's port in {@code idePorts}: workspace → port), each with when it last was; sent with
     * every heartbeat.
     */
    default java.util.Map<String, java.time.Instant> takeActivity(java.util.Map<String, Integer> idePorts) {
        return java.util.Map.of();
    }

    /** Where other hosts reach this edge ({@code host:port}), empty without an edge proxy. */
    default String address() {
        return "";
    }

    @Override
    default void close() {}
}
