package dev.spinup.controlplane.operations;

import java.util.Arrays;

public enum OperationVerb {
    CREATE("create"),
    SUSPEND("suspend"),
    ARCHIVE("archive"),
    RESTORE("restore"),
    DELETE("delete"),
    RESIZE("resize"),
    ADD_DOMAIN("add_domain"),
    REMOVE_DOMAIN("remove_domain");

    private final String wire;

    OperationVerb(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static OperationVerb fromWire(String wire) {
        return Arrays.stream(values()).filter(v -> v.wire.equals(wire)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown verb " + wire));
    }
}
