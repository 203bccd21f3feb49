package dev.spinup.testing;

import dev.spinup.agent.commands.CommandHooks;
import dev.spinup.agent.drivers.DriverException;
import dev.spinup.api.v1.Command;

/**
 * Makes the agent fail a step's command as a host would, {@code times} times; or hold a step's
 * command before its effect until a condition holds.
 */
final class FailingCommands implements CommandHooks {
    private volatile String heldStep;
    private volatile java.util.function.BooleanSupplier release;
    private volatile String step;
    private volatile String workspace;
    private int remaining;

    /** @param workspace only this workspace's commands; null: any (a CREATE's is not known before) */
    void arm(String step, String workspace, int times) {
        synchronized (this) {
            this.remaining = times;
        }
        this.workspace = workspace;
        this.step = step;
    }

    void disarm() {
        step = null;
        heldStep = null;
    }

    /** Each command of {@code step} waits, before its effect, until {@code release} says so. */
    void hold(String step, java.util.function.BooleanSupplier release) {
        this.release = release;
        this.heldStep = step;
    }

    @Override
    public void inject(Command command) throws DriverException {
        if (command.getStep().equals(heldStep)) {
            Eventually.await(
                    java.time.Duration.ofSeconds(30), "the hold on " + heldStep + " to end", release::getAsBoolean);
        }
        String s = step;
        if (s == null
                || !command.getStep().equals(s)
                || (workspace != null && !workspace.equals(command.getWorkspaceId()))) {
            return;
        }
        synchronized (this) {
            if (remaining <= 0) {
                return;
            }
            remaining--;
        }
        throw new DriverException("injected", "injected failure of " + s);
    }
}
