package dev.spinup.controlplane.engine;

import dev.spinup.controlplane.core.Operation;
import java.time.Instant;

/** What a run does after a step: go on, wait until a time, stop, or call out with no transaction held. */
sealed interface Advance {
    record Continue() implements Advance {}

    record WaitUntil(Instant at, Operation operation, String step) implements Advance {}

    record Finished() implements Advance {}

    /** The step's transaction committed that it calls out; {@code saved} is the operation as persisted. */
    record CallOut(Operation saved, Step step, StepOutcome.CallOut<?> call) implements Advance {
        CallOutResult<?> run() {
            return CallOutResult.of(call);
        }
    }
}
