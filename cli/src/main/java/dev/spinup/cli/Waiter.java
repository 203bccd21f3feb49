package dev.spinup.cli;

import com.google.protobuf.Timestamp;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationStep;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Follows an operation to its end: a line for each change of a step (its name, state, what it
 * waits on, time in the step, and the operation's ETA from the published durations), then the
 * outcome. Polls GetOperation; a call that times out or finds the server briefly away is tried
 * again until the wait's own deadline.
 */
final class Waiter {
    /** How long --wait and ops wait wait unless --wait-timeout says otherwise. */
    static final Duration DEFAULT_LIMIT = Duration.ofMinutes(30);

    private static final Duration POLL = Duration.ofMillis(250);
    private final Session session;
    private final Duration limit;

    Waiter(Session session, Duration limit) {
        this.session = session;
        this.limit = limit;
    }

    /** Returns the ended operation; throws OperationFailed if it did not succeed. */
    Operation await(String operationId) {
        Instant start = Instant.now();
        Instant deadline = start.plus(limit);
        Map<String, String> shown = new HashMap<>();
        while (true) {
            Operation op;
            try {
                op = session.api()
                        .getOperation(GetOperationRequest.newBuilder()
                                .setOperationId(operationId)
                                .build())
                        .getOperation();
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if ((code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED)
                        || Instant.now().isAfter(deadline)) {
                    throw e;
                }
                pause();
                continue;
            }
            for (OperationStep step : op.getStepsList()) {
                if (step.getStatus() == dev.spinup.api.v1.StepStatus.STEP_STATUS_PENDING) {
                    continue; // a line once it starts
                }
                String state = Output.name(step.getStatus()) + "|" + step.getWaitingOn();
                if (!state.equals(shown.put(step.getName(), state))) {
                    session.err.println(progress(op, step, start));
                }
            }
            if (ended(op.getStatus())) {
                if (op.getStatus() != OperationStatus.OPERATION_STATUS_SUCCEEDED) {
                    if (session.out.json) {
                        session.out.json(op);
                    }
                    throw new Failures.OperationFailed("operation " + op.getId() + " " + Output.name(op.getStatus())
                            + ": "
                            + dev.spinup.api.ProtoEnums.bare(op.getError().getReason())
                            + ": " + op.getError().getMessage());
                }
                session.err.println(String.format(
                        "%s %s %s in %s",
                        op.getId(), Output.name(op.getVerb()), Output.name(op.getStatus()), seconds(took(op))));
                return op;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new Failures.OperationFailed(
                        "operation " + op.getId() + " is still " + Output.name(op.getStatus()) + " after "
                                + seconds(limit) + " (--wait-timeout); it goes on: spinup ops wait " + op.getId());
            }
            pause();
        }
    }

    static boolean ended(OperationStatus s) {
        return s == OperationStatus.OPERATION_STATUS_SUCCEEDED
                || s == OperationStatus.OPERATION_STATUS_FAILED
                || s == OperationStatus.OPERATION_STATUS_ROLLED_BACK;
    }

    private static String progress(Operation op, OperationStep step, Instant start) {
        Instant now = Instant.now();
        StringBuilder b = new StringBuilder(String.format(
                "[%6s] %-22s %-8s",
                seconds(Duration.between(start, now)), step.getName(), Output.name(step.getStatus())));
        if (step.hasStartedAt()) {
            Instant until = step.hasCompletedAt() ? instant(step.getCompletedAt()) : now;
            b.append(" ").append(seconds(Duration.between(instant(step.getStartedAt()), until)));
        }
        if (!step.getWaitingOn().isEmpty()) {
            b.append("  (").append(step.getWaitingOn()).append(")");
        }
        if (op.hasEstimatedCompletionAt() && !ended(op.getStatus())) {
            Duration eta = Duration.between(now, instant(op.getEstimatedCompletionAt()));
            b.append("  ETA ").append(eta.isNegative() ? "overdue" : seconds(eta));
        }
        return b.toString();
    }

    private static Duration took(Operation op) {
        return op.hasCompletedAt() && op.hasRequestedAt()
                ? Duration.between(instant(op.getRequestedAt()), instant(op.getCompletedAt()))
                : Duration.ZERO;
    }

    private static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    private static void pause() {
        try {
            Thread.sleep(POLL); // the poll interval of a client loop, not a synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failures.OperationFailed("interrupted while waiting");
        }
    }
}
