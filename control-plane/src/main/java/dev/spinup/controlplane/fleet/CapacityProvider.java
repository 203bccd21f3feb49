package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Host;
import java.util.UUID;

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
     * Adds {@code count} hosts to {@code region} for the scaling activity {@code activity}; they
     * enroll with tokens from {@code tokens}. Returns the provider's own record of it.
     */
    String add(String region, UUID activity, int count, java.util.function.Supplier<String> tokens);

    /** Whether the provider brought {@code host} (only such hosts are scaled in). */
    boolean owns(Host host);

    /** Gives back an empty host that scale-in drained; safe to repeat (after a crash). */
    void release(String region, Host host);
}
