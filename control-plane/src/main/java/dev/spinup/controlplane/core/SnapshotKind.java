package dev.spinup.controlplane.core;

/** Why a snapshot was taken: on the workspace's schedule, or before its local disk is wiped by an archive. */
public enum SnapshotKind implements WireValue {
    PERIODIC,
    PRE_ARCHIVE,
    /** Taken to move the workspace to another host (EvacuateHost); full. */
    PRE_MOVE;

    @Override
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
