package dev.spinup.controlplane.engine;

import dev.spinup.controlplane.core.Operation;

/**
 * Test hooks at the boundaries of every step (and of the scaler's decisions). Production uses {@link #NONE}; tests use them
 * to pause an operation at a named step, or to kill the process there.
 */
public interface StepHooks {
    StepHooks NONE = new StepHooks() {};

    /** Before the step's transaction begins. */
    default void beforeStep(Operation operation, String step) {}

    /** Inside the step's transaction: its effects are made, nothing is committed yet. */
    default void afterEffect(Operation operation, String step) {}

    /** Right after the step's transaction committed, before anything else runs. */
    default void afterPersist(Operation operation, String step) {}

    /**
     * The step committed that it waits (its command is sent), and let go of the job in the same
     * transaction; the run has not returned yet. A result may arrive in this window, and starts
     * another run.
     */
    default void waiting(Operation operation, String step) {}

    /**
     * What the operation waited for was recorded on this replica, and the job claimed for a run
     * here, in one transaction that has committed; the run that continues with {@code step} has
     * not yet begun.
     */
    default void continuing(Operation operation, String step) {}

    /**
     * The scaler's boundaries in a region: {@code decided} (the decision is committed, the provider
     * not yet asked) and {@code provider_asked} (the provider said yes; "requested" is not yet
     * recorded).
     */
    default void atScaling(String point, String regionId) {}
}
