package dev.spinup.agent.commands;

import dev.spinup.api.v1.Command;

/**
 * Points in a command's execution where a test can stop the agent (the agent crash table kills
 * the process there) or make the command fail. Production uses {@link #NONE}.
 */
public interface CommandHooks {
    CommandHooks NONE = new CommandHooks() {};

    /** The command is durably marked accepted and is about to run. */
    default void beforeExecute(Command command) {}

    /** Just before the command's effect: a test may fail it here, as the host would (its result says why). */
    default void inject(Command command) throws dev.spinup.agent.drivers.DriverException {}

    /** The driver did the work; the result is not recorded yet. */
    default void afterEffect(Command command) {}

    /** The result is recorded durably; it has not been sent yet. */
    default void afterRecorded(Command command) {}
}
