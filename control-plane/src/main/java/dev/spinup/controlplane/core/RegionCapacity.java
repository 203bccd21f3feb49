package dev.spinup.controlplane.core;

import java.time.Duration;

/**
 * How many hosts a region may have ({@code maxHosts} 0: no limit), the room it keeps free at all
 * times ({@code headroomWorkspaces} workspaces of {@code headroomFlavor}) and how long an empty
 * host stays before scale-in retires it.
 */
public record RegionCapacity(
        int minHosts, int maxHosts, int headroomWorkspaces, Flavor headroomFlavor, Duration scaleInCoolDown) {
    /** A region no one has set: no limits, no headroom. */
    public static final RegionCapacity DEFAULT = new RegionCapacity(0, 0, 0, Flavor.HOBBY, Duration.ofMinutes(10));

    /**
     * How many workspaces of {@code each} fit into hosts with these free envelopes, each workspace
     * on one host.
     */
    public static int fits(Iterable<Envelope> free, Envelope each) {
        int n = 0;
        for (Envelope f : free) {
            n += Math.max(
                    0,
                    Math.min(f.vcpu() / each.vcpu(), Math.min(f.ramGb() / each.ramGb(), f.diskGb() / each.diskGb())));
        }
        return n;
    }
}
