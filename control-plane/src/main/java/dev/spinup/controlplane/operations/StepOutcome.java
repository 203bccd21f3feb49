package dev.spinup.controlplane.operations;

import dev.spinup.api.v1.ErrorReason;
import java.time.Instant;
import java.util.Map;

import static java.util.Objects.requireNonNull;

public sealed interface StepOutcome {
    /** The step finished; {@code outputs} are kept in step_state for later steps. */
    record Done(Map<String, String> outputs) implements StepOutcome {
        public Done {
            outputs = Map.copyOf(outputs);
        }
    }

    /** The step waits (e.g. for an agent's result) and is run again when woken or at {@code deadline}. */
    record Wait(String waitingOn, Instant deadline) implements StepOutcome {
        public Wait {
            requireNonNull(waitingOn, "waitingOn");
            requireNonNull(deadline, "deadline");
        }
    }

    record Fail(ErrorReason reason, String message) implements StepOutcome {
        public Fail {
            requireNonNull(reason, "reason");
            requireNonNull(message, "message");
        }
    }

    static StepOutcome done() {
        return new Done(Map.of());
    }
}
