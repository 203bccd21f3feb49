package dev.spinup.controlplane.core;

import java.time.Instant;
import java.util.UUID;

/**
 * A region's decision to grow from {@code hostsBefore} to {@code hostsWanted} healthy hosts, and
 * how far it got: decided (recorded, the provider not yet asked), requested (the provider said yes;
 * {@code providerActivity} names its record), fulfilled or failed.
 */
public record ScalingActivity(
        UUID id,
        String regionId,
        State state,
        int hostsBefore,
        int hostsWanted,
        String reason,
        String providerActivity,
        String error,
        Instant decidedAt,
        Instant requestedAt,
        Instant endedAt) {
    public enum State implements WireValue {
        DECIDED("decided"),
        REQUESTED("requested"),
        FULFILLED("fulfilled"),
        FAILED("failed");

        private final String wire;

        State(String wire) {
            this.wire = wire;
        }

        @Override
        public String wire() {
            return wire;
        }

        public boolean inFlight() {
            return this == DECIDED || this == REQUESTED;
        }
    }
}
