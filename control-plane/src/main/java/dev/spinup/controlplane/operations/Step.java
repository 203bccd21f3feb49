package dev.spinup.controlplane.operations;

/**
 * One step of an operation. {@link #execute} runs inside the transaction that also persists the
 * step's outcome, with the operation row locked, so its database effects and the step's progress
 * commit together. It must be safe to run twice: a crash can land between any two transactions.
 */
public interface Step {
    String name();

    StepOutcome execute(StepContext ctx);
}
