package dev.spinup.controlplane.core;

/** A VM's resource envelope. */
public record Envelope(int vcpu, int ramGb, int diskGb) {
    public Envelope {
        if (vcpu < 0 || ramGb < 0 || diskGb < 0) {
            throw new IllegalArgumentException("envelope values must not be negative");
        }
    }

    public boolean fitsIn(Envelope room) {
        return vcpu <= room.vcpu && ramGb <= room.ramGb && diskGb <= room.diskGb;
    }
}
