package dev.spinup.controlplane.core;

import java.util.Arrays;

public enum OperationStatus implements WireValue {
    PENDING("pending"),
    RUNNING("running"),
    SUCCEEDED("succeeded"),
    FAILED("failed"),
    ROLLED_BACK("rolled_back");

    private final String wire;

    OperationStatus(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == ROLLED_BACK;
    }

    public static OperationStatus fromWire(String wire) {
        return Arrays.stream(values())
                .filter(s -> s.wire.equals(wire))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown status " + wire));
    }
}
