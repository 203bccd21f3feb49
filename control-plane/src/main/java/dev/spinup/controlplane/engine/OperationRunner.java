package dev.spinup.controlplane.engine;

import dev.spinup.api.TraceContext;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Lifecycle;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationStatus;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.StepState;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Advances an operation one step per transaction, persisting step_state after every step, until it
 * waits or ends. Each transaction locks the operation row and writes it only if its version is
 * unchanged, so a job that db-scheduler runs twice, or resumes after a crash, repeats no step.
 */
public final class OperationRunner {
    private static final Logger log = LoggerFactory.getLogger(OperationRunner.class);

    private final Transactions db;
    private final Map<OperationVerb, OperationJob> jobs = new EnumMap<>(OperationVerb.class);
    private final Clock clock;
    private final MeterRegistry meters;
    private final StepHooks hooks;
    private final Tracer tracer;

    public OperationRunner(
            Transactions db,
            List<OperationJob> jobs,
            Clock clock,
            MeterRegistry meters,
            StepHooks hooks,
            Tracer tracer) {
        this.tracer = tracer;
        this.db = db;
        this.hooks = hooks;
        this.clock = clock;
        this.meters = meters;
        for (OperationJob job : jobs) {
            this.jobs.put(job.verb(), job);
        }
    }

    public OperationJob job(OperationVerb verb) {
        OperationJob job = jobs.get(verb);
        if (job == null) {
            throw new IllegalStateException("no job for verb " + verb);
        }
        return job;
    }

    /** Every verb's job, in verb order. */
    public List<OperationJob> jobs() {
        return List.copyOf(jobs.values());
    }

    public boolean supports(OperationVerb verb) {
        return jobs.containsKey(verb);
    }

    /**
     * Runs until the operation waits (returns when to run it again) or ends (returns empty). Each
     * run is a span in the trace of the call that started the operation (its context is kept in
     * the operation's parameters), whichever replica runs it and however often it is rescheduled.
     */
    public Optional<Instant> run(UUID operationId) {
        Optional<Operation> op = db.read(tx -> tx.operations().find(operationId));
        Span span = tracer.spanBuilder("job " + op.map(o -> o.verb().wire()).orElse("operation"))
                .setParent(TraceContext.from(op.map(Operation::params).orElse(Map.of())))
                .setAttribute("spinup.operation_id", operationId.toString())
                .startSpan();
        return TraceContext.inSpan(span, () -> runSteps(operationId));
    }

    private Optional<Instant> runSteps(UUID operationId) {
        while (true) {
            if (hooks != StepHooks.NONE) {
                db.read(tx -> tx.operations().find(operationId))
                        .filter(op -> !op.status().isTerminal())
                        .filter(op -> op.stepState().current() != null)
                        .ifPresent(op ->
                                hooks.beforeStep(op, op.stepState().current().name()));
            }
            Advance advance = db.inTransaction(tx -> advance(tx, operationId));
            while (advance instanceof Advance.CallOut call) {
                // No transaction, no connection, no lock held while the step calls out.
                Outcome<?> outcome = call.run();
                advance = db.inTransaction(tx -> afterCallOut(tx, call, outcome));
            }
            switch (advance) {
                case Advance.Continue c -> {}
                case Advance.WaitUntil w -> {
                    hooks.waiting(w.operation(), w.step());
                    return Optional.of(w.at());
                }
                case Advance.Finished f -> {
                    return Optional.empty();
                }
                case Advance.CallOut c -> throw new IllegalStateException("handled above");
            }
        }
    }

    private sealed interface Advance {
        record Continue() implements Advance {}

        record WaitUntil(Instant at, Operation operation, String step) implements Advance {}

        record Finished() implements Advance {}

        /** The step's transaction committed that it calls out; {@code saved} is the operation as persisted. */
        record CallOut(Operation saved, Step step, StepOutcome.CallOut<?> call) implements Advance {
            Outcome<?> run() {
                return Outcome.of(call);
            }
        }
    }

    /** What a call out returned, or how it failed. */
    private record Outcome<T>(StepOutcome.CallOut<T> call, T value, Exception failure) {
        static <T> Outcome<T> of(StepOutcome.CallOut<T> call) {
            try {
                return new Outcome<>(call, call.call().call(), null);
            } catch (Exception e) {
                return new Outcome<>(call, null, e);
            }
        }

        StepOutcome then(StepContext ctx) {
            if (failure != null) {
                return new StepOutcome.Fail(
                        ErrorReason.DEPENDENCY_UNAVAILABLE, call.waitingOn() + " failed: " + describe(failure));
            }
            return call.then().apply(ctx, value);
        }

        private static String describe(Exception e) {
            return e.getMessage() == null || e.getMessage().isBlank()
                    ? e.getClass().getSimpleName()
                    : e.getMessage();
        }
    }

    private Advance advance(Tx tx, UUID operationId) {
        AfterPersist afterPersist = watchPersist(tx);
        Operation op = tx.operations().findForUpdate(operationId).orElse(null);
        if (op == null || op.status().isTerminal()) {
            return new Advance.Finished();
        }
        Instant now = clock.instant();
        if (op.status() == OperationStatus.PENDING) {
            meters.timer("spinup_operation_pickup", "verb", op.verb().wire())
                    .record(Duration.between(op.requestedAt(), now).abs());
        }
        OperationJob job = job(op.verb());
        Workspace workspace = tx.workspaces().find(op.workspaceId()).orElseThrow();
        StepState state = op.stepState();
        if (state.current() == null) {
            finish(tx, op, job, workspace, state, now);
            return new Advance.Finished();
        }
        Step step = job.step(op.params(), state.phase(), state.current().name());
        StepState.StepRecord current = state.current();
        if (current.status() == StepState.Status.PENDING
                && current.notBefore() != null
                && now.isBefore(current.notBefore())) {
            // A retry is due later (woken early, e.g. by a late result of the failed attempt).
            save(tx, op, state, now);
            return new Advance.WaitUntil(current.notBefore(), op, step.name());
        }
        if (current.status() == StepState.Status.PENDING) {
            state = state.started(now);
            log.info(
                    "event=step_started operation={} verb={} step={} phase={} attempt={}",
                    op.id(),
                    op.verb().wire(),
                    step.name(),
                    state.phase(),
                    state.current().attempts());
        }
        StepOutcome outcome = executeTraced(step, new StepContext(tx, op, workspace, state, now));
        if (outcome instanceof StepOutcome.CallOut<?> call) {
            StepState calling = state.waiting(
                    "the step's call to " + call.waitingOn(),
                    state.current().waitingSince() == null
                            ? now
                            : state.current().waitingSince(),
                    state.current().deadline() == null
                            ? now.plus(step.retryWindow())
                            : state.current().deadline());
            save(tx, op, calling, now);
            return new Advance.CallOut(withProgress(op, calling), step, call);
        }
        return apply(tx, op, job, workspace, state, step, outcome, now, afterPersist);
    }

    /** After a call out: with the operation locked again, the step finishes with what the call returned. */
    private Advance afterCallOut(Tx tx, Advance.CallOut call, Outcome<?> result) {
        AfterPersist afterPersist = watchPersist(tx);
        Operation op = tx.operations().findForUpdate(call.saved().id()).orElse(null);
        if (op == null || op.version() != call.saved().version()) {
            throw new ConcurrentStepException(call.saved().id()); // another run moved it on meanwhile
        }
        Instant now = clock.instant();
        OperationJob job = job(op.verb());
        Workspace workspace = tx.workspaces().find(op.workspaceId()).orElseThrow();
        StepOutcome outcome = result.then(new StepContext(tx, op, workspace, op.stepState(), now));
        if (outcome instanceof StepOutcome.CallOut<?>) {
            throw new IllegalStateException(call.step().name() + " called out twice in one run");
        }
        return apply(tx, op, job, workspace, op.stepState(), call.step(), outcome, now, afterPersist);
    }

    /**
     * The test hook {@link StepHooks#afterPersist}, registered when a step's transaction begins (so
     * it runs after the commit before any other after-commit work, e.g. dispatching a command) and
     * armed once the step's outcome is applied in that transaction.
     */
    private static final class AfterPersist implements Runnable {
        private Runnable hook;

        void arm(Runnable hook) {
            this.hook = hook;
        }

        @Override
        public void run() {
            if (hook != null) {
                hook.run();
            }
        }
    }

    private AfterPersist watchPersist(Tx tx) {
        AfterPersist afterPersist = new AfterPersist();
        if (hooks != StepHooks.NONE) {
            tx.afterCommit(afterPersist);
        }
        return afterPersist;
    }

    /** The operation as {@link #save} left it (the version it bumped, the state it wrote). */
    private static Operation withProgress(Operation op, StepState state) {
        return new Operation(
                op.id(),
                op.workspaceId(),
                op.verb(),
                OperationStatus.RUNNING,
                op.requestId(),
                op.requestFingerprint(),
                op.params(),
                op.actor(),
                state,
                op.jobId(),
                op.errorReason(),
                op.errorMessage(),
                op.requestedAt(),
                op.startedAt(),
                op.completedAt(),
                op.version() + 1);
    }

    /** Persists what the step's outcome means: the next step, a wait, a retry, a rollback, or the end. */
    private Advance apply(
            Tx tx,
            Operation op,
            OperationJob job,
            Workspace workspace,
            StepState state,
            Step step,
            StepOutcome outcome,
            Instant now,
            AfterPersist afterPersist) {
        if (hooks != StepHooks.NONE) {
            hooks.afterEffect(op, step.name());
            afterPersist.arm(() -> hooks.afterPersist(op, step.name()));
        }
        return switch (outcome) {
            case StepOutcome.Done done -> {
                StepState.StepRecord record = state.current();
                state = state.done(now, done.outputs());
                save(tx, op, state, now);
                stepTimer(op.verb(), step.name())
                        .record(Duration.between(record.startedAt(), now).abs());
                log.info("event=step_done operation={} step={}", op.id(), step.name());
                yield new Advance.Continue();
            }
            case StepOutcome.Wait wait -> {
                Instant since = state.current().waitingSince() == null
                        ? now
                        : state.current().waitingSince();
                state = state.waiting(wait.waitingOn(), since, wait.deadline());
                save(tx, op, state, now);
                yield new Advance.WaitUntil(wait.deadline(), op, step.name());
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
        log.warn(
                "event=step_failed operation={} step={} attempt={} reason={} message=\"{}\"",
                op.id(),
                step.name(),
                state.current().attempts(),
                fail.reason(),
                fail.message());
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
                log.info(
                        "event=step_retry operation={} step={} attempt={} at={} deadline={}",
                        op.id(),
                        step.name(),
                        record.attempts() + 1,
                        retryAt,
                        deadline);
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
        if (state.phase() == StepState.Phase.FORWARD) {
            List<Step> undo = plan.undoFor(state.begun());
            if (!undo.isEmpty()) {
                state = state.rollingBack(undo.stream().map(Step::name).toList());
                save(tx, op, state, now);
                return new Advance.Continue();
            }
        }
        complete(tx, op, workspace, OperationStatus.FAILED, state, Optional.empty(), now);
        return new Advance.Finished();
    }

    /** Before retry n+1 after n failed attempts: 1 s, 2 s, 4 s, … at most 30 s. */
    static Duration backoff(int failedAttempts) {
        return Duration.ofSeconds(Math.min(30, 1L << Math.min(Math.max(failedAttempts - 1, 0), 5)));
    }

    private StepOutcome executeTraced(Step step, StepContext ctx) {
        Span span = tracer.spanBuilder("step " + step.name())
                .setAttribute(
                        "spinup.phase",
                        ctx.step() == null ? "" : ctx.state().phase().name())
                .startSpan();
        return TraceContext.inSpan(span, () -> {
            StepOutcome outcome = step.execute(ctx);
            span.setAttribute("spinup.outcome", outcome.getClass().getSimpleName());
            return outcome;
        });
    }

    private void finish(Tx tx, Operation op, OperationJob job, Workspace workspace, StepState state, Instant now) {
        if (state.phase() == StepState.Phase.FORWARD) {
            WorkspaceState target =
                    Lifecycle.target(op.verb(), workspace.state()).orElse(workspace.state());
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
            throw new ConcurrentStepException(op.id());
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
        log.info(
                "event=operation_finished operation={} verb={} status={} reason={}",
                op.id(),
                op.verb().wire(),
                status.wire(),
                reason);
    }

    private void save(Tx tx, Operation op, StepState state, Instant now) {
        if (!tx.operations().saveProgress(op, OperationStatus.RUNNING, state, now)) {
            throw new ConcurrentStepException(op.id());
        }
    }

    private Timer stepTimer(OperationVerb verb, String step) {
        return Timer.builder("spinup_operation_step_duration")
                .tag("verb", verb.wire())
                .tag("step", step)
                .register(meters);
    }

    /** Another run of the same job advanced the operation first; this run's transaction rolls back. */
    public static final class ConcurrentStepException extends RuntimeException {
        ConcurrentStepException(UUID operationId) {
            super("operation " + operationId + " was advanced concurrently; this run yields");
        }
    }
}
