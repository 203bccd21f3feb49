package dev.spinup.agent.commands;

import dev.spinup.api.v1.AgentEvent;

/** Where the executor's events (results, progress, workspace events) go: durably, in order, to the control plane. */
public interface EventSink {
    /** Records the event (its sequence number assigned here) and returns that number once it is durable. */
    long emit(AgentEvent.Builder event);
}
