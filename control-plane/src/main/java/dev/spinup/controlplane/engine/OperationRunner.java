package dev.spinup.controlplane.engine;

import dev.spinup.api.TraceContext;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationStatus;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.StepState;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.MeterRegistry;
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
    private final StepOutcomes outcomes;
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
        this.outcomes = new StepOutcomes(meters);
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
    public Optional<Instant> run(UUID operationId, JobHold job) {
        Optional<Operation> op = db.read(tx -> tx.operations().find(operationId));
        return run(
                operationId,
                op.map(Operation::verb).orElse(null),
                op.map(Operation::params).orElse(Map.of()),
                job);
    }

    /** {@link #run(UUID, JobHold)} for an operation whose verb and params the caller knows already. */
    public Optional<Instant> run(UUID operationId, OperationVerb verb, Map<String, String> params, JobHold job) {
        Span span = tracer.spanBuilder("job " + (verb == null ? "operation" : verb.wire()))
                .setParent(TraceContext.from(params))
                .setAttribute("spinup.operation_id", operationId.toString())
                .startSpan();
        return TraceContext.inSpan(span, () -> runSteps(operationId, job));
    }

    /**
     * How a run lets go of the operation's job: in the transaction of its last step, which holds
     * the operation row's lock. A result recorded before it is seen by that step; one recorded
     * after it finds the job free (and claims it, or makes it due): none falls in between.
     */
    public interface JobHold {
        /** The operation waits until {@code at}: the job is released, due then. */
        void release(Tx tx, Instant at);

        /** The operation has ended: its job is removed. */
        void remove(Tx tx);
    }

    /** The test hook {@link StepHooks#continuing}, before a run claimed by a result begins. */
    void beforeContinuing(UUID operationId) {
        atCurrentStep(operationId, hooks::continuing);
    }

    private void atCurrentStep(UUID operationId, java.util.function.BiConsumer<Operation, String> hook) {
        if (hooks != StepHooks.NONE) {
            db.read(tx -> tx.operations().find(operationId))
                    .filter(op -> !op.status().isTerminal())
                    .filter(op -> op.stepState().current() != null)
                    .ifPresent(op -> hook.accept(op, op.stepState().current().name()));
        }
    }

    private Optional<Instant> runSteps(UUID operationId, JobHold job) {
        while (true) {
            atCurrentStep(operationId, hooks::beforeStep);
            Advance advance = db.inTransaction(tx -> lettingGo(tx, job, advance(tx, operationId)));
            while (advance instanceof Advance.CallOut call) {
                // No transaction, no connection, no lock held while the step calls out.
                CallOutResult<?> outcome = call.run();
                advance = db.inTransaction(tx -> lettingGo(tx, job, afterCallOut(tx, call, outcome)));
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

    /** The step's outcome; when the run ends with it, the job is let go in the step's transaction. */
    private static Advance lettingGo(Tx tx, JobHold job, Advance advance) {
        switch (advance) {
            case Advance.WaitUntil w -> job.release(tx, w.at());
            case Advance.Finished f -> job.remove(tx);
            case Advance.Continue c -> {}
            case Advance.CallOut c -> {}
        }
        return advance;
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
            outcomes.finish(tx, op, job, workspace, state, now);
            return new Advance.Finished();
        }
        Step step = job.step(op.params(), state.phase(), state.current().name());
        StepState.StepRecord current = state.current();
        if (current.status() == StepState.Status.PENDING
                && current.notBefore() != null
                && now.isBefore(current.notBefore())) {
            // A retry is due later (woken early, e.g. by a late result of the failed attempt).
            outcomes.save(tx, op, state, now);
            return new Advance.WaitUntil(current.notBefore(), op, step.name());
        }
        if (current.status() == StepState.Status.PENDING) {
            state = state.started(now);
            log.atInfo()
                    .setMessage("step_started")
                    .addKeyValue("operation", op.id())
                    .addKeyValue("verb", op.verb().wire())
                    .addKeyValue("step", step.name())
                    .addKeyValue("phase", state.phase())
                    .addKeyValue("attempt", state.current().attempts())
                    .log();
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
            outcomes.save(tx, op, calling, now);
            return new Advance.CallOut(withProgress(op, calling), step, call);
        }
        return applied(tx, op, job, workspace, state, step, outcome, now, afterPersist);
    }

    /** After a call out: with the operation locked again, the step finishes with what the call returned. */
    private Advance afterCallOut(Tx tx, Advance.CallOut call, CallOutResult<?> result) {
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
        return applied(tx, op, job, workspace, op.stepState(), call.step(), outcome, now, afterPersist);
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

    /** The operation as {@link StepOutcomes#save} left it (the version it bumped, the state it wrote). */
    private static Operation withProgress(Operation op, StepState state) {
        return new Operation(
                op.id(),
                op.workspaceId(),
                op.verb(),
                op.flavor(),
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

    /** Records the step's outcome (see {@link StepOutcomes}), after the test hooks had their look. */
    private Advance applied(
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
        return outcomes.apply(tx, op, job, workspace, state, step, outcome, now);
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

    /** Another run of the same job advanced the operation first; this run's transaction rolls back. */
    public static final class ConcurrentStepException extends RuntimeException {
        ConcurrentStepException(UUID operationId) {
            super("operation " + operationId + " was advanced concurrently; this run yields");
        }
    }
}
