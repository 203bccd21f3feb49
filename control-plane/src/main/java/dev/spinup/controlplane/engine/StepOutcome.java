package dev.spinup.controlplane.engine;

import static java.util.Objects.requireNonNull;

import dev.spinup.controlplane.core.ErrorReason;
import java.time.Instant;
import java.util.Map;

public sealed interface StepOutcome {
    /** The step finished; {@code outputs} are kept in step_state for later steps. */
    record Done(Map<String, String> outputs) implements StepOutcome {
        public Done {
            outputs = Map.copyOf(outputs);
        }
    }

    /**
     * The step waits (e.g. for an agent's result) until {@code deadline} at the latest, and is run
     * again when woken or at {@code lookAgainAt} (a step that polls), whichever comes first.
     */
    record Wait(String waitingOn, Instant deadline, Instant lookAgainAt) implements StepOutcome {
        public Wait {
            requireNonNull(waitingOn, "waitingOn");
            requireNonNull(deadline, "deadline");
            requireNonNull(lookAgainAt, "lookAgainAt");
            if (lookAgainAt.isAfter(deadline)) {
                lookAgainAt = deadline;
            }
        }

        /** Run again when woken, or at the deadline. */
        public Wait(String waitingOn, Instant deadline) {
            this(waitingOn, deadline, deadline);
        }
    }

    /**
     * The step must call out of the process (object storage): {@code call} runs with no transaction,
     * connection or lock held; then {@code then} finishes the step in a new transaction, the
     * operation locked again, with what the call returned. A call that throws fails the step with
     * DEPENDENCY_UNAVAILABLE. A crash in between runs the step again, so the call must be safe to repeat.
     *
     * @param waitingOn what is called, for the operation's timeline ("object storage to …")
     */
    record CallOut<T>(
            String waitingOn,
            java.util.concurrent.Callable<T> call,
            java.util.function.BiFunction<StepContext, T, StepOutcome> then)
            implements StepOutcome {
        public CallOut {
            requireNonNull(waitingOn, "waitingOn");
            requireNonNull(call, "call");
            requireNonNull(then, "then");
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
