package dev.spinup.controlplane.engine;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How long each kind of step may take before it fails with STEP_DEADLINE_EXCEEDED (an agent step
 * waiting for its host), and — past a verb's point of no return — how long a failing step is
 * tried again. {@code storage}: a step that calls object storage itself (verify, retention, purge).
 * {@code capacity}: how long a create or restore in an elastic region waits for a host with room
 * (a new cloud instance boots and enrolls in minutes).
 */
public record StepTimeouts(
        Duration provision,
        Duration start,
        Duration stop,
        Duration destroy,
        Duration routes,
        Duration snapshot,
        Duration restore,
        Duration resize,
        Duration storage,
        Duration capacity) {
    public StepTimeouts {
        requireNonNull(provision, "provision");
        requireNonNull(start, "start");
        requireNonNull(stop, "stop");
        requireNonNull(destroy, "destroy");
        requireNonNull(routes, "routes");
        requireNonNull(snapshot, "snapshot");
        requireNonNull(restore, "restore");
        requireNonNull(resize, "resize");
        requireNonNull(storage, "storage");
        requireNonNull(capacity, "capacity");
    }

    public static StepTimeouts defaults() {
        return new StepTimeouts(
                Duration.ofMinutes(5),
                Duration.ofMinutes(5),
                Duration.ofMinutes(2),
                Duration.ofMinutes(5),
                Duration.ofMinutes(1),
                Duration.ofMinutes(30),
                Duration.ofMinutes(30),
                Duration.ofMinutes(1),
                Duration.ofMinutes(10),
                Duration.ofMinutes(15));
    }

    /** Every step the same (tests that want deadlines to come soon). */
    public static StepTimeouts all(Duration d) {
        return new StepTimeouts(d, d, d, d, d, d, d, d, d, d);
    }

    /** These, with a create or restore waiting for room at most {@code d}. */
    public StepTimeouts withCapacity(Duration d) {
        return new StepTimeouts(provision, start, stop, destroy, routes, snapshot, restore, resize, storage, d);
    }
}
