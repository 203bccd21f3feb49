package dev.spinup.controlplane.core;

import java.util.Arrays;

/** Workspace flavors. The envelopes of the fixed ones come from {@link FlavorCatalog}. */
public enum Flavor implements WireValue {
    HOBBY("hobby"),
    PRO("pro"),
    TEAM("team"),
    CUSTOM("custom");

    private final String wire;

    Flavor(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }

    public static Flavor fromWire(String wire) {
        return Arrays.stream(values())
                .filter(f -> f.wire.equals(wire))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown flavor " + wire));
    }
}
