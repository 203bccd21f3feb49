package dev.spinup.controlplane.core;

import java.util.Arrays;

public enum OperationVerb implements WireValue {
    CREATE("create"),
    SUSPEND("suspend"),
    ARCHIVE("archive"),
    RESTORE("restore"),
    DELETE("delete"),
    RESIZE("resize"),
    ADD_DOMAIN("add_domain"),
    REMOVE_DOMAIN("remove_domain"),
    /** A periodic snapshot, started by the control plane; does not make the workspace busy. */
    SNAPSHOT("snapshot"),
    /** Brings a host back in line with the database after reconcile found a mismatch; started by the control plane. */
    REPAIR("repair"),
    /** SetSharing: the app's names become public or private at the edge. */
    SET_SHARING("set_sharing"),
    /** Brings a lost host's workspace back elsewhere from its newest verified snapshot; started by the control plane. */
    RECOVER("recover"),
    /** Moves a workspace off a host being evacuated, by a fresh snapshot restored elsewhere; started by EvacuateHost. */
    EVACUATE("evacuate");

    private final String wire;

    OperationVerb(String wire) {
        this.wire = wire;
    }

    /** Whether an operation of this verb holds workspaces.current_operation_id while in flight. */
    public boolean makesBusy() {
        return this != SNAPSHOT;
    }

    @Override
    public String wire() {
        return wire;
    }

    public static OperationVerb fromWire(String wire) {
        return Arrays.stream(values())
                .filter(v -> v.wire.equals(wire))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown verb " + wire));
    }
}
