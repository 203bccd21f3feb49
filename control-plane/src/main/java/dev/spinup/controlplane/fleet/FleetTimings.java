package dev.spinup.controlplane.fleet;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How long the fleet's background work waits for things.
 *
 * @param scaleUpDeadline how long a requested scale-up may take to have its hosts healthy before it
 *     is marked failed
 * @param retryAfterFailedScaleUp how long after a failed scale-up its region gets no new decision
 */
public record FleetTimings(Duration scaleUpDeadline, Duration retryAfterFailedScaleUp) {
    public FleetTimings {
        requireNonNull(scaleUpDeadline, "scaleUpDeadline");
        requireNonNull(retryAfterFailedScaleUp, "retryAfterFailedScaleUp");
    }

    public static FleetTimings defaults() {
        return new FleetTimings(Duration.ofMinutes(10), Duration.ofSeconds(30));
    }

    public FleetTimings withRetryAfterFailedScaleUp(Duration retry) {
        return new FleetTimings(scaleUpDeadline, retry);
    }
}
