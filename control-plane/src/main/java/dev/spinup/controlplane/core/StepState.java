package dev.spinup.controlplane.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The resumable record of an operation (operations.step_state): the phase (forward, or rollback
 * after a failure), which step is next, each step's timeline, and values steps hand to later steps.
 * Immutable; every change returns a new value that the runner persists.
 */
public record StepState(
        Phase phase,
        int cursor,
        List<StepRecord> steps,
        Map<String, String> outputs,
        String failureReason,
        String failureMessage) {
    public enum Phase {
        FORWARD,
        ROLLBACK
    }

    public enum Status {
        PENDING,
        RUNNING,
        DONE,
        FAILED,
        SKIPPED
    }

    /**
     * @param notBefore a PENDING step that failed and is to be tried again: not before then
     * @param error     the last attempt's error (kept while a retry is due)
     */
    public record StepRecord(
            String name,
            Phase phase,
            Status status,
            Instant startedAt,
            Instant completedAt,
            int attempts,
            String waitingOn,
            Instant waitingSince,
            Instant deadline,
            String error,
            Instant notBefore) {
        StepRecord withStatus(Status s) {
            return new StepRecord(
                    name,
                    phase,
                    s,
                    startedAt,
                    completedAt,
                    attempts,
                    waitingOn,
                    waitingSince,
                    deadline,
                    error,
                    notBefore);
        }

        /** Began (and so may have had an effect): running, done or failed. */
        boolean begun() {
            return status == Status.RUNNING || status == Status.DONE || status == Status.FAILED;
        }
    }

    public StepState {
        steps = List.copyOf(steps);
        outputs = Map.copyOf(outputs);
    }

    public static StepState initial(List<String> forwardSteps) {
        List<StepRecord> records = new ArrayList<>();
        for (String name : forwardSteps) {
            records.add(
                    new StepRecord(name, Phase.FORWARD, Status.PENDING, null, null, 0, null, null, null, null, null));
        }
        return new StepState(Phase.FORWARD, 0, records, Map.of(), null, null);
    }

    /** Index into {@link #steps()} of the step at the cursor of the current phase, or -1 when done. */
    public int currentIndex() {
        int seen = 0;
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).phase() == phase) {
                if (seen == cursor) {
                    return i;
                }
                seen++;
            }
        }
        return -1;
    }

    public StepRecord current() {
        int i = currentIndex();
        return i < 0 ? null : steps.get(i);
    }

    /** The current step has begun (another attempt if it had begun before). */
    public StepState started(Instant now) {
        StepRecord r = current();
        return replace(new StepRecord(
                r.name(),
                r.phase(),
                Status.RUNNING,
                r.startedAt() == null ? now : r.startedAt(),
                null,
                r.attempts() + 1,
                null,
                null,
                r.deadline(),
                null,
                null));
    }

    public StepState waiting(String waitingOn, Instant since, Instant deadline) {
        StepRecord r = current();
        return replace(new StepRecord(
                r.name(),
                r.phase(),
                Status.RUNNING,
                r.startedAt(),
                null,
                r.attempts(),
                waitingOn,
                since,
                deadline,
                null,
                null));
    }

    public StepState done(Instant now, Map<String, String> newOutputs) {
        StepRecord r = current();
        StepState next = replace(new StepRecord(
                r.name(),
                r.phase(),
                Status.DONE,
                r.startedAt(),
                now,
                r.attempts(),
                null,
                null,
                r.deadline(),
                null,
                null));
        Map<String, String> merged = new HashMap<>(outputs);
        merged.putAll(newOutputs);
        return new StepState(phase, cursor + 1, next.steps, merged, failureReason, failureMessage);
    }

    public StepState failed(Instant now, String reason, String message) {
        StepRecord r = current();
        StepState next = replace(new StepRecord(
                r.name(),
                r.phase(),
                Status.FAILED,
                r.startedAt(),
                now,
                r.attempts(),
                null,
                null,
                r.deadline(),
                message,
                null));
        return new StepState(
                phase,
                cursor,
                next.steps,
                outputs,
                failureReason == null ? reason : failureReason,
                failureMessage == null ? message : failureMessage);
    }

    /**
     * The current step failed and is to be tried again at {@code at} (past the verb's point of no
     * return), with {@code deadline} for all its attempts. The operation's failure is not set: it
     * may yet succeed.
     */
    public StepState retryAt(Instant at, String reason, String message, Instant deadline) {
        StepRecord r = current();
        return replace(new StepRecord(
                r.name(),
                r.phase(),
                Status.PENDING,
                r.startedAt(),
                null,
                r.attempts(),
                "a retry (attempt " + r.attempts() + " failed, " + reason + ")",
                null,
                deadline,
                message,
                at));
    }

    /** The forward steps that began, in order. */
    public List<String> begun() {
        return steps.stream()
                .filter(r -> r.phase() == Phase.FORWARD && r.begun())
                .map(StepRecord::name)
                .toList();
    }

    /** Switch to the rollback phase: remaining forward steps are skipped, rollback steps appended. */
    public StepState rollingBack(List<String> rollbackSteps) {
        List<StepRecord> records = new ArrayList<>();
        for (StepRecord r : steps) {
            records.add(r.status() == Status.PENDING ? r.withStatus(Status.SKIPPED) : r);
        }
        for (String name : rollbackSteps) {
            records.add(
                    new StepRecord(name, Phase.ROLLBACK, Status.PENDING, null, null, 0, null, null, null, null, null));
        }
        return new StepState(Phase.ROLLBACK, 0, records, outputs, failureReason, failureMessage);
    }

    private StepState replace(StepRecord record) {
        List<StepRecord> records = new ArrayList<>(steps);
        records.set(currentIndex(), record);
        return new StepState(phase, cursor, records, outputs, failureReason, failureMessage);
    }
}
