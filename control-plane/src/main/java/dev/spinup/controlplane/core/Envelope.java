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

    public Envelope plus(Envelope other) {
        return new Envelope(vcpu + other.vcpu, ramGb + other.ramGb, diskGb + other.diskGb);
    }

    /** What is left of this once {@code used} is taken, never below 0 (an overcommitted host has none). */
    public Envelope leftAfter(Envelope used) {
        return new Envelope(
                Math.max(0, vcpu - used.vcpu), Math.max(0, ramGb - used.ramGb), Math.max(0, diskGb - used.diskGb));
    }
}
