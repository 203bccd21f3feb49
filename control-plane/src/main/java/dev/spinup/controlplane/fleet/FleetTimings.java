package dev.spinup.controlplane.fleet;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How long the fleet's background work waits for things.
 *
 * @param scaleUpDeadline how long a requested scale-up may take to have its hosts healthy before it
 *     is marked failed
 * @param retryAfterFailedScaleUp how long after a failed scale-up its region gets no new decision
 * @param hostLossGrace how long past its heartbeat lease a silent host is lost: fenced, and its
 *     workspaces recovered elsewhere
 * @param capacityLookAgain how often an operation waiting for room looks again by itself; it is
 *     also woken when a scale-up of its region ends and when a host of its region first heartbeats
 */
public record FleetTimings(
        Duration scaleUpDeadline,
        Duration retryAfterFailedScaleUp,
        Duration hostLossGrace,
        Duration capacityLookAgain) {
    public FleetTimings {
        requireNonNull(scaleUpDeadline, "scaleUpDeadline");
        requireNonNull(retryAfterFailedScaleUp, "retryAfterFailedScaleUp");
        requireNonNull(hostLossGrace, "hostLossGrace");
        requireNonNull(capacityLookAgain, "capacityLookAgain");
    }

    public static FleetTimings defaults() {
        return new FleetTimings(
                Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofMinutes(10), Duration.ofSeconds(1));
    }

    public FleetTimings withRetryAfterFailedScaleUp(Duration retry) {
        return new FleetTimings(scaleUpDeadline, retry, hostLossGrace, capacityLookAgain);
    }

    public FleetTimings withHostLossGrace(Duration grace) {
        return new FleetTimings(scaleUpDeadline, retryAfterFailedScaleUp, grace, capacityLookAgain);
    }

    public FleetTimings withCapacityLookAgain(Duration every) {
        return new FleetTimings(scaleUpDeadline, retryAfterFailedScaleUp, hostLossGrace, every);
    }
}
