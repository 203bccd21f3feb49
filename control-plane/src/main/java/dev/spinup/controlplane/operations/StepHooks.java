package dev.spinup.controlplane.operations;

/**
 * Called by the runner just before a step executes, outside any transaction. Production uses
 * {@link #NONE}; tests use it to pause or break an operation at a named step.
 */
@FunctionalInterface
public interface StepHooks {
    StepHooks NONE = (operation, step) -> { };

    void beforeStep(Operation operation, String step);
}
