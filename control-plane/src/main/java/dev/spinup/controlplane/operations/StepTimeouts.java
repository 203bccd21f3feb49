package dev.spinup.controlplane.operations;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/** How long each kind of step may wait for its host before it fails with STEP_DEADLINE_EXCEEDED. */
public record StepTimeouts(Duration provision, Duration start, Duration stop, Duration destroy, Duration routes,
                           Duration snapshot, Duration restore, Duration resize) {
    public StepTimeouts {
        requireNonNull(provision, "provision");
        requireNonNull(start, "start");
        requireNonNull(stop, "stop");
        requireNonNull(destroy, "destroy");
        requireNonNull(routes, "routes");
        requireNonNull(snapshot, "snapshot");
        requireNonNull(restore, "restore");
        requireNonNull(resize, "resize");
    }

    public static StepTimeouts defaults() {
        return new StepTimeouts(Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(2),
                Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ofMinutes(30), Duration.ofMinutes(30),
                Duration.ofMinutes(1));
    }
}
