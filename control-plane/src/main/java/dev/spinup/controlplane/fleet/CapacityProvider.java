package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Host;
import dev.spinup.controlplane.core.ScalingActivity;

/**
 * Where an elastic region's new hosts come from. Called outside any transaction; each call is
 * keyed by the scaling activity, so repeating one (after a crash between "decided" and
 * "requested") adds nothing twice.
 */
public interface CapacityProvider {
    /** The provider's name as regions name it ("local"). */
    String name();

    /** What one new host offers. */
    Envelope hostCapacity();

    /**
     * Carries out the scaling decision {@code a}: the region is to have {@code a.hostsWanted()}
     * hosts, {@code a.hostsWanted() - a.hostsBefore()} more; they enroll with tokens from {@code
     * tokens} (one each). Returns the provider's own record of it (an Auto Scaling activity id).
     */
    String add(ScalingActivity a, java.util.function.Supplier<String> tokens);

    /** Why the provider's record of a scale-up says it failed; empty while it has not. */
    default java.util.Optional<String> failure(String record) {
        return java.util.Optional.empty();
    }

    /** Whether the provider brought {@code host} (only such hosts are scaled in). */
    boolean owns(Host host);

    /** Gives back an empty host that scale-in drained; safe to repeat (after a crash). */
    void release(String region, Host host);

    /**
     * Which of {@code hosts} (the region's in service) the provider is taking away on its own —
     * an Auto Scaling group's own scale-in, a Spot interruption — and holds for SpinUp until they
     * are released: they are evacuated, then released once empty.
     */
    default java.util.List<Host> leaving(String region, java.util.List<Host> hosts) {
        return java.util.List.of();
    }

    /** Keeps a leaving host from going while its workspaces move off (an ASG lifecycle-action heartbeat). */
    default void holdLeaving(String region, Host host) {}
}
