package dev.spinup.controlplane.agents;

import static java.util.Objects.requireNonNull;

/**
 * An agent event the control plane can never apply: replaying it would fail the same way. It is
 * acked with the refusal (so the events behind it flow), counted and kept for the operator.
 *
 * @see RefusedEvents
 */
public final class RefusedEventException extends RuntimeException {
    private final String reason;

    /** @param reason short and machine-readable, e.g. "no_kind", "invalid_text", "out_of_range" */
    public RefusedEventException(String reason, String message) {
        super(requireNonNull(message, "message"));
        this.reason = requireNonNull(reason, "reason");
    }

    public String reason() {
        return reason;
    }
}
