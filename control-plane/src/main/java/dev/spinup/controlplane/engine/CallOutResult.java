package dev.spinup.controlplane.engine;

import dev.spinup.controlplane.core.ErrorReason;

/** What a step's call out returned, or how it failed. */
record CallOutResult<T>(StepOutcome.CallOut<T> call, T value, Exception failure) {
    static <T> CallOutResult<T> of(StepOutcome.CallOut<T> call) {
        try {
            return new CallOutResult<>(call, call.call().call(), null);
        } catch (Exception e) {
            return new CallOutResult<>(call, null, e);
        }
    }

    StepOutcome then(StepContext ctx) {
        if (failure != null) {
            return new StepOutcome.Fail(
                    ErrorReason.DEPENDENCY_UNAVAILABLE, call.waitingOn() + " failed: " + describe(failure));
        }
        return call.then().apply(ctx, value);
    }

    private static String describe(Exception e) {
        return e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
    }
}
