package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Host;
import dev.spinup.controlplane.core.ScalingActivity;
import java.util.function.Supplier;

/** The {@code local} provider: new hosts are real agents on this machine ({@link LocalHosts}). */
public final class LocalProvider implements CapacityProvider {
    private final LocalHosts hosts;

    public LocalProvider(LocalHosts hosts) {
        this.hosts = hosts;
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public Envelope hostCapacity() {
        return hosts.capacity();
    }

    /** Host k of an activity is named after it, so a repeated call finds the hosts it started. */
    @Override
    public String add(ScalingActivity a, Supplier<String> tokens) {
        String region = a.regionId();
        int count = a.hostsWanted() - a.hostsBefore();
        String tag = a.id().toString().substring(a.id().toString().length() - 8);
        for (int k = 0; k < count; k++) {
            hosts.start(region + "-" + tag + "-" + k + ".localhost", tokens);
        }
        return "local:" + region + ":" + tag + "x" + count;
    }

    @Override
    public boolean owns(Host host) {
        return hosts.has(host.fqdn());
    }

    /** Stops the host's agent; its directory (credentials, logs) stays. */
    @Override
    public void release(String region, Host host) {
        hosts.stop(host.fqdn());
    }
}
