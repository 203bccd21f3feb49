package dev.spinup.agent.edge;

/** The edge's admin address is held by someone else's process (another Caddy): the agent does not start. */
public final class ForeignEdgeException extends IllegalStateException {
    ForeignEdgeException(String message) {
        super(message);
    }
}
