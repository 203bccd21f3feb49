package dev.spinup.agent.commands;

import dev.spinup.api.v1.Command;

/**
 * Points in a command's execution where a test can stop the agent (the agent crash table kills
 * the process there). Production uses {@link #NONE}.
 */
public interface CommandHooks {
    CommandHooks NONE = new CommandHooks() { };

    /** The command is durably marked accepted and is about to run. */
    default void beforeExecute(Command command) { }

    /** The driver did the work; the result is not recorded yet. */
    default void afterEffect(Command command) { }

    /** The result is recorded durably; it has not been sent yet. */
    default void afterRecorded(Command command) { }
}
