package dev.spinup.controlplane.core;

import java.util.Arrays;

public enum HostState implements WireValue {
    /** Enrolled (or registered), no heartbeat yet: no placements. */
    ENROLLING("enrolling"),
    HEALTHY("healthy"),
    UNHEALTHY("unhealthy"),
    DRAINING("draining"),
    RETIRED("retired"),
    /** Declared lost (or silent past the loss grace): fenced, its workspaces recovered elsewhere. */
    LOST("lost");

    private final String wire;

    HostState(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }

    public static HostState fromWire(String wire) {
        return Arrays.stream(values())
                .filter(s -> s.wire.equals(wire))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown host state " + wire));
    }
}
