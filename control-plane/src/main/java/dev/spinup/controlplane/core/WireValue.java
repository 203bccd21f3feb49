package dev.spinup.controlplane.core;

/** An enum value that is stored and sent by a fixed lowercase name, never by its Java name. */
public interface WireValue {
    String wire();
}
