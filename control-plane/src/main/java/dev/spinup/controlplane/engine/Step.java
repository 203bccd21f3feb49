package dev.spinup.controlplane.engine;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One step of an operation. {@link #execute} runs inside the transaction that also persists the
 * step's outcome, with the operation row locked, so its database effects and the step's progress
 * commit together. It must be safe to run twice: a crash can land between any two transactions.
 */
public interface Step {
    /** The retry window of a step that names none. */
    Duration DEFAULT_RETRY_WINDOW = Duration.ofMinutes(10);

    String name();

    StepOutcome execute(StepContext ctx);

    /**
     * How long, from its first start, this step may take over all its attempts: an agent step's
     * timeout, a call to object storage's. Past the verb's point of no return a failed step is tried
     * again until then.
     */
    default Duration retryWindow() {
        return DEFAULT_RETRY_WINDOW;
    }

    /** A step that only changes the database (in the step's own transaction). */
    static Step local(String name, Consumer<StepContext> action) {
        return of(name, DEFAULT_RETRY_WINDOW, ctx -> {
            action.accept(ctx);
            return new StepOutcome.Done(Map.of());
        });
    }

    /** A step named {@code name} doing {@code body}, all of whose tries may take {@code retryWindow}. */
    static Step of(String name, Duration retryWindow, Function<StepContext, StepOutcome> body) {
        return new Step() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public StepOutcome execute(StepContext ctx) {
                return body.apply(ctx);
            }

            @Override
            public Duration retryWindow() {
                return retryWindow;
            }
        };
    }
}
