package dev.spinup.controlplane.engine;

import dev.spinup.controlplane.core.Lifecycle;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationStatus;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.StepState;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a step's outcome means for its operation, written in the step's transaction: the next
 * step, a wait, a retry with backoff, a rollback (the undos of the begun steps, in reverse), or
 * the end — SUCCEEDED, ROLLED_BACK or FAILED, with the workspace's new state, the audit entry and
 * the metrics. Every write checks the operation's version, so a concurrent run yields.
 */
final class StepOutcomes {
    private static final Logger log = LoggerFactory.getLogger(StepOutcomes.class);

    private final MeterRegistry meters;

    StepOutcomes(MeterRegistry meters) {
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (OperationVerb verb : OperationVerb.values()) {
            for (OperationStatus status : OperationStatus.values()) {
                if (status.isTerminal()) {
                    meters.counter("spinup_operations_finished", "verb", verb.wire(), "status", status.wire());
                }
            }
        }
    }

    /** Persists what the step's outcome means: the next step, a wait, a retry, a rollback, or the end. */
    Advance apply(
            Tx tx,
            Operation op,
            OperationJob job,
            Workspace workspace,
            StepState state,
            Step step,
            StepOutcome outcome,
            Instant now) {
        return switch (outcome) {
            case StepOutcome.Done done -> {
                StepState.StepRecord record = state.current();
                state = state.done(now, done.outputs());
                save(tx, op, state, now);
                stepTimer(op.verb(), step.name())
                        .record(Duration.between(record.startedAt(), now).abs());
                log.atInfo()
                        .setMessage("step_done")
                        .addKeyValue("operation", op.id())
                        .addKeyValue("step", step.name())
                        .log();
                yield new Advance.Continue();
            }
            case StepOutcome.Wait wait -> {
                Instant since = state.current().waitingSince() == null
                        ? now
                        : state.current().waitingSince();
                state = state.waiting(wait.waitingOn(), since, wait.deadline());
                save(tx, op, state, now);
                yield new Advance.WaitUntil(wait.lookAgainAt(), op, step.name());
            }
            case StepOutcome.Fail fail -> failed(tx, op, job, workspace, state, step, fail, now);
            case StepOutcome.CallOut<?> call -> throw new IllegalStateException("a call out is run by the runner");
        };
    }

    /**
     * A step failed. Before the verb's point of no return, the undos of every step that began run
     * in reverse (a rollback phase); from it on, the step is tried again with backoff until its
     * deadline, and past that the operation ends FAILED with the workspace in the verb's target
     * state. A failed undo ends the operation FAILED with the workspace's state unchanged.
     */
    private Advance failed(
            Tx tx,
            Operation op,
            OperationJob job,
            Workspace workspace,
            StepState state,
            Step step,
            StepOutcome.Fail fail,
            Instant now) {
        log.atWarn()
                .setMessage("step_failed")
                .addKeyValue("operation", op.id())
                .addKeyValue("step", step.name())
                .addKeyValue("attempt", state.current().attempts())
                .addKeyValue("reason", fail.reason())
                .addKeyValue("message", fail.message())
                .log();
        Plan plan = job.plan(op.params());
        if (state.phase() == StepState.Phase.FORWARD && plan.forwardOnly(step.name())) {
            StepState.StepRecord record = state.current();
            Instant deadline = record.deadline() != null
                    ? record.deadline()
                    : record.startedAt().plus(step.retryWindow());
            Instant retryAt = now.plus(backoff(record.attempts()));
            if (retryAt.isBefore(deadline)) {
                state = state.retryAt(retryAt, fail.reason().name(), fail.message(), deadline);
                save(tx, op, state, now);
                meters.counter(
                                "spinup_operation_step_retries",
                                "verb",
                                op.verb().wire(),
                                "step",
                                step.name())
                        .increment();
                log.atInfo()
                        .setMessage("step_retry")
                        .addKeyValue("operation", op.id())
                        .addKeyValue("step", step.name())
                        .addKeyValue("attempt", record.attempts() + 1)
                        .addKeyValue("at", retryAt)
                        .addKeyValue("deadline", deadline)
                        .log();
                return new Advance.WaitUntil(retryAt, op, step.name());
            }
            WorkspaceState target =
                    Lifecycle.target(op.verb(), workspace.state()).orElse(workspace.state());
            state = state.failed(
                    now,
                    fail.reason().name(),
                    fail.message() + " (past the point of no return at " + plan.pointOfNoReturn() + ": retried until "
                            + deadline + "; the workspace is " + target.wire() + ")");
            complete(tx, op, workspace, OperationStatus.FAILED, state, Optional.of(target), now);
            return new Advance.Finished();
        }
        state = state.failed(now, fail.reason().name(), fail.message());
        Optional<WorkspaceState> after = Optional.empty();
        if (state.phase() == StepState.Phase.FORWARD) {
            List<Step> undo = plan.undoFor(state.begun());
            if (!undo.isEmpty()) {
                state = state.rollingBack(undo.stream().map(Step::name).toList());
                save(tx, op, state, now);
                return new Advance.Continue();
            }
            // nothing began that needs undoing (a create that never got a host): the verb did not
            // happen, so the workspace is left as a rollback would leave it
            after = job.stateAfterRollback(op.params());
        }
        complete(tx, op, workspace, OperationStatus.FAILED, state, after, now);
        return new Advance.Finished();
    }

    /** Before retry n+1 after n failed attempts: 1 s, 2 s, 4 s, … at most 30 s. */
    static Duration backoff(int failedAttempts) {
        return Duration.ofSeconds(Math.min(30, 1L << Math.min(Math.max(failedAttempts - 1, 0), 5)));
    }

    void finish(Tx tx, Operation op, OperationJob job, Workspace workspace, StepState state, Instant now) {
        if (state.phase() == StepState.Phase.FORWARD) {
            WorkspaceState target = job.stateAfterSuccess(op.params())
                    .orElseGet(
                            () -> Lifecycle.target(op.verb(), workspace.state()).orElse(workspace.state()));
            job.onSucceeded(new StepContext(tx, op, workspace, state, now));
            complete(tx, op, workspace, OperationStatus.SUCCEEDED, state, Optional.of(target), now);
        } else {
            complete(tx, op, workspace, OperationStatus.ROLLED_BACK, state, job.stateAfterRollback(op.params()), now);
        }
    }

    private void complete(
            Tx tx,
            Operation op,
            Workspace workspace,
            OperationStatus status,
            StepState state,
            Optional<WorkspaceState> newState,
            Instant now) {
        String reason = status == OperationStatus.SUCCEEDED ? null : state.failureReason();
        String message = status == OperationStatus.SUCCEEDED ? null : state.failureMessage();
        if (!tx.operations().finish(op, status, state, reason, message, now)) {
            throw new OperationRunner.ConcurrentStepException(op.id());
        }
        tx.workspaces().finishOperation(workspace.id(), op.id(), newState.orElse(workspace.state()), now);
        Map<String, String> data = reason == null
                ? Map.of("verb", op.verb().wire(), "operation_id", op.id().toString())
                : Map.of("verb", op.verb().wire(), "operation_id", op.id().toString(), "reason", reason);
        tx.audit()
                .append(
                        workspace.id(),
                        op.id(),
                        "transition." + op.verb().wire() + "." + status.wire(),
                        data,
                        op.actor(),
                        now);
        meters.counter("spinup_operations_finished", "verb", op.verb().wire(), "status", status.wire())
                .increment();
        if (reason != null) {
            meters.counter("spinup_operation_errors", "verb", op.verb().wire(), "reason", reason)
                    .increment();
        }
        Timer.builder("spinup_operation_duration")
                .tag("verb", op.verb().wire())
                .tag("status", status.wire())
                .register(meters)
                .record(Duration.between(op.requestedAt(), now).abs());
        log.atInfo()
                .setMessage("operation_finished")
                .addKeyValue("operation", op.id())
                .addKeyValue("verb", op.verb().wire())
                .addKeyValue("status", status.wire())
                .addKeyValue("reason", reason)
                .log();
    }

    void save(Tx tx, Operation op, StepState state, Instant now) {
        if (!tx.operations().saveProgress(op, OperationStatus.RUNNING, state, now)) {
            throw new OperationRunner.ConcurrentStepException(op.id());
        }
    }

    private Timer stepTimer(OperationVerb verb, String step) {
        return Timer.builder("spinup_operation_step_duration")
                .tag("verb", verb.wire())
                .tag("step", step)
                .register(meters);
    }
}
