package dev.spinup.controlplane.core;

import java.util.Arrays;

/** The starter project a workspace is created from (a directory under vm-base-config/guest/templates). */
public enum ProjectTemplate implements WireValue {
    STARTER("starter"),
    NEXTJS("nextjs"),
    REACT("react"),
    REACT_NATIVE_WEB("react_native_web");

    private final String wire;

    ProjectTemplate(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }

    public static ProjectTemplate fromWire(String wire) {
        return Arrays.stream(values())
                .filter(t -> t.wire.equals(wire))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown template " + wire));
    }
}
