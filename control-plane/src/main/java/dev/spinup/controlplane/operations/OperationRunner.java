package dev.spinup.controlplane.operations;

import dev.spinup.api.TraceContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import dev.spinup.controlplane.db.Database;
import dev.spinup.controlplane.db.Database.Tx;
import dev.spinup.controlplane.workspaces.Workspace;
import dev.spinup.controlplane.workspaces.WorkspaceState;
import dev.spinup.controlplane.workspaces.WorkspaceStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
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

    private final Database db;
    private final OperationStore operations;
    private final WorkspaceStore workspaces;
    private final AuditLog audit;
    private final Map<OperationVerb, OperationJob> jobs = new EnumMap<>(OperationVerb.class);
    private final Clock clock;
    private final MeterRegistry meters;
    private final StepHooks hooks;
    private final Tracer tracer;

    public OperationRunner(Database db, OperationStore operations, WorkspaceStore workspaces, AuditLog audit,
                           List<OperationJob> jobs, Clock clock, MeterRegistry meters, StepHooks hooks,
                           Tracer tracer) {
        this.tracer = tracer;
        this.db = db;
        this.hooks = hooks;
        this.operations = operations;
        this.workspaces = workspaces;
        this.audit = audit;
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

    public boolean supports(OperationVerb verb) {
        return jobs.containsKey(verb);
    }

    /**
     * Runs until the operation waits (returns when to run it again) or ends (returns empty). Each
     * run is a span in the trace of the call that started the operation (its context is kept in
     * the operation's parameters), whichever replica runs it and however often it is rescheduled.
     */
    public Optional<Instant> run(UUID operationId) {
        Optional<Operation> op = db.withHandle(h -> operations.find(h, operationId));
        Span span = tracer.spanBuilder("job " + op.map(o -> o.verb().wire()).orElse("operation"))
                .setParent(TraceContext.from(op.map(Operation::params).orElse(Map.of())))
                .setAttribute("spinup.operation_id", operationId.toString()).startSpan();
        return TraceContext.inSpan(span, () -> runSteps(operationId));
    }

    private Optional<Instant> runSteps(UUID operationId) {
        while (true) {
            if (hooks != StepHooks.NONE) {
                db.withHandle(h -> operations.find(h, operationId)).filter(op -> !op.status().isTerminal())
                        .filter(op -> op.stepState().current() != null)
                        .ifPresent(op -> hooks.beforeStep(op, op.stepState().current().name()));
            }
            Advance advance = db.inTransaction(tx -> advance(tx, operationId));
            switch (advance) {
                case Advance.Continue c -> { }
                case Advance.WaitUntil w -> {
                    hooks.waiting(w.operation(), w.step());
                    return Optional.of(w.at());
                }
                case Advance.Finished f -> {
                    return Optional.empty();
                }
            }
        }
    }

    private sealed interface Advance {
        record Continue() implements Advance {}

        record WaitUntil(Instant at, Operation operation, String step) implements Advance {}

        record Finished() implements Advance {}
    }

    private Advance advance(Tx tx, UUID operationId) {
        Operation op = operations.findForUpdate(tx.handle(), operationId).orElse(null);
        if (op == null || op.status().isTerminal()) {
            return new Advance.Finished();
        }
        Instant now = clock.instant();
        if (op.status() == OperationStatus.PENDING) {
            meters.timer("spinup_operation_pickup", "verb", op.verb().wire())
                    .record(Duration.between(op.requestedAt(), now).abs());
        }
        OperationJob job = job(op.verb());
        Workspace workspace = workspaces.find(tx.handle(), op.workspaceId()).orElseThrow();
        StepState state = op.stepState();
        if (state.current() == null) {
            finish(tx, op, job, workspace, state, now);
            return new Advance.Finished();
        }
        Step step = job.step(op.params(), state.phase(), state.current().name());
        if (hooks != StepHooks.NONE) {
            // registered first, so it runs before any other after-commit work (e.g. dispatching a command)
            tx.afterCommit(() -> hooks.afterPersist(op, step.name()));
        }
        if (state.current().status() == StepState.Status.PENDING) {
            state = state.started(now);
            log.info("event=step_started operation={} verb={} step={} phase={}", op.id(), op.verb().wire(),
                    step.name(), state.phase());
        }
        StepOutcome outcome = executeTraced(step, new StepContext(tx, op, workspace, state, now));
        if (hooks != StepHooks.NONE) {
            hooks.afterEffect(op, step.name());
        }
        return switch (outcome) {
            case StepOutcome.Done done -> {
                StepState.StepRecord record = state.current();
                state = state.done(now, done.outputs());
                save(tx, op, state, now);
                stepTimer(op.verb(), step.name()).record(Duration.between(record.startedAt(), now).abs());
                log.info("event=step_done operation={} step={}", op.id(), step.name());
                yield new Advance.Continue();
            }
            case StepOutcome.Wait wait -> {
                Instant since = state.current().waitingSince() == null ? now : state.current().waitingSince();
                state = state.waiting(wait.waitingOn(), since, wait.deadline());
                save(tx, op, state, now);
                yield new Advance.WaitUntil(wait.deadline(), op, step.name());
            }
            case StepOutcome.Fail fail -> {
                log.warn("event=step_failed operation={} step={} reason={} message=\"{}\"", op.id(), step.name(),
                        fail.reason(), fail.message());
                state = state.failed(now, fail.reason().name(), fail.message());
                List<Step> rollback = job.rollbackSteps(op.params());
                if (state.phase() == StepState.Phase.FORWARD && !rollback.isEmpty()) {
                    state = state.rollingBack(rollback.stream().map(Step::name).toList());
                    save(tx, op, state, now);
                    yield new Advance.Continue();
                }
                complete(tx, op, workspace, OperationStatus.FAILED, state, Optional.empty(), now);
                yield new Advance.Finished();
            }
        };
    }

    private StepOutcome executeTraced(Step step, StepContext ctx) {
        Span span = tracer.spanBuilder("step " + step.name()).setAttribute("spinup.phase", ctx.step() == null ? ""
                : ctx.state().phase().name()).startSpan();
        return TraceContext.inSpan(span, () -> {
            StepOutcome outcome = step.execute(ctx);
            span.setAttribute("spinup.outcome", outcome.getClass().getSimpleName());
            return outcome;
        });
    }

    private void finish(Tx tx, Operation op, OperationJob job, Workspace workspace, StepState state, Instant now) {
        if (state.phase() == StepState.Phase.FORWARD) {
            WorkspaceState target = Lifecycle.target(op.verb(), workspace.state()).orElse(workspace.state());
            job.onSucceeded(new StepContext(tx, op, workspace, state, now));
            complete(tx, op, workspace, OperationStatus.SUCCEEDED, state, Optional.of(target), now);
        } else {
            complete(tx, op, workspace, OperationStatus.ROLLED_BACK, state, job.stateAfterRollback(op.params()), now);
        }
    }

    private void complete(Tx tx, Operation op, Workspace workspace, OperationStatus status, StepState state,
                          Optional<WorkspaceState> newState, Instant now) {
        String reason = status == OperationStatus.SUCCEEDED ? null : state.failureReason();
        String message = status == OperationStatus.SUCCEEDED ? null : state.failureMessage();
        if (!operations.finish(tx.handle(), op, status, state, reason, message, now)) {
            throw new ConcurrentStepException(op.id());
        }
        workspaces.finishOperation(tx.handle(), workspace.id(), op.id(), newState.orElse(workspace.state()), now);
        Map<String, String> data = reason == null
                ? Map.of("verb", op.verb().wire(), "operation_id", op.id().toString())
                : Map.of("verb", op.verb().wire(), "operation_id", op.id().toString(), "reason", reason);
        audit.append(tx.handle(), workspace.id(), op.id(), "transition." + op.verb().wire() + "." + status.wire(),
                data, op.actor(), now);
        meters.counter("spinup_operations_finished", "verb", op.verb().wire(), "status", status.wire()).increment();
        if (reason != null) {
            meters.counter("spinup_operation_errors", "verb", op.verb().wire(), "reason", reason).increment();
        }
        Timer.builder("spinup_operation_duration").tag("verb", op.verb().wire()).tag("status", status.wire())
                .register(meters).record(Duration.between(op.requestedAt(), now).abs());
        log.info("event=operation_finished operation={} verb={} status={} reason={}", op.id(), op.verb().wire(),
                status.wire(), reason);
    }

    private void save(Tx tx, Operation op, StepState state, Instant now) {
        if (!operations.saveProgress(tx.handle(), op, OperationStatus.RUNNING, state, now)) {
            throw new ConcurrentStepException(op.id());
        }
    }

    private Timer stepTimer(OperationVerb verb, String step) {
        return Timer.builder("spinup_operation_step_duration").tag("verb", verb.wire()).tag("step", step)
                .register(meters);
    }

    /** Another run of the same job advanced the operation first; this run's transaction rolls back. */
    public static final class ConcurrentStepException extends RuntimeException {
        ConcurrentStepException(UUID operationId) {
            super("operation " + operationId + " was advanced concurrently; this run yields");
        }
    }
}
