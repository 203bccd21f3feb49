package dev.spinup.controlplane.core;

import java.util.Arrays;

/** Persistent workspace states, as stored in workspaces.state. */
public enum WorkspaceState implements WireValue {
    ACTIVE("active"),
    SUSPENDED("suspended"),
    ARCHIVED("archived"),
    DELETED("deleted");

    private final String wire;

    WorkspaceState(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }

    public static WorkspaceState fromWire(String wire) {
        return Arrays.stream(values())
                .filter(s -> s.wire.equals(wire))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown workspace state " + wire));
    }
}
