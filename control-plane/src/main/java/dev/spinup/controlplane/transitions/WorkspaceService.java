package dev.spinup.controlplane.transitions;

import dev.spinup.api.TraceContext;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.Lifecycle;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationStatus;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.engine.OperationEngine;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.OperationRunner;
import dev.spinup.controlplane.store.StoreException;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Starts transitions. Each call commits, in one transaction, the workspace change, the operation
 * row and its db-scheduler job — or nothing. Idempotency comes first: the request_id is claimed
 * (a transaction-scoped lock on it) before anything else, so a concurrent copy waits and then
 * returns the first copy's operation; the UNIQUE request_id of operations is the backstop.
 */
public final class WorkspaceService {
    private final Transactions db;
    private final Placement placement;
    private final OperationEngine engine;
    private final OperationRunner runner;
    private final String workspaceDomain;
    private final Clock clock;
    private final MeterRegistry meters;

    private final Tracer tracer;

    public WorkspaceService(
            Transactions db,
            Placement placement,
            OperationEngine engine,
            OperationRunner runner,
            String workspaceDomain,
            Clock clock,
            MeterRegistry meters,
            Tracer tracer) {
        this.tracer = tracer;
        this.db = db;
        this.placement = placement;
        this.engine = engine;
        this.runner = runner;
        this.workspaceDomain = workspaceDomain;
        this.clock = clock;
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (OperationVerb verb : OperationVerb.values()) {
            meters.counter("spinup_operations_started", "verb", verb.wire());
        }
    }

    public Operation create(CreateWorkspace request, String actor) {
        Span span = tracer.spanBuilder("WorkspaceService.create")
                .setSpanKind(SpanKind.SERVER)
                .startSpan();
        return TraceContext.inSpan(span, () -> withOperationId(span, createTraced(request, actor)));
    }

    private static Operation withOperationId(Span span, Operation op) {
        span.setAttribute("spinup.operation_id", op.id().toString());
        return op;
    }

    private Operation createTraced(CreateWorkspace request, String actor) {
        try {
            return db.inTransaction(tx -> {
                Optional<Operation> existing = claim(tx, request.requestId());
                if (existing.isPresent()) {
                    return sameRequest(existing.get(), request.fingerprint());
                }
                Optional<UUID> namesake = tx.workspaces().liveByExternalId(request.externalWorkspaceId());
                if (namesake.isPresent()) {
                    throw externalIdInUse(request.externalWorkspaceId(), namesake.get());
                }
                if (!tx.fleet().regionExists(request.regionId())) {
                    throw SpinUpException.invalidField(
                            ErrorReason.UNKNOWN_REGION, "region", "no region named \"" + request.regionId() + "\"");
                }
                if (request.fork() != null) {
                    request.fork().checkRestorable(tx);
                }
                Optional<UUID> placed = placement.place(tx, request.regionId(), request.envelope());
                // an elastic region grows: the create waits for a host in its first step
                boolean awaiting = placed.isEmpty() && tx.fleet().elastic(request.regionId());
                UUID hostId = awaiting
                        ? null
                        : placed.orElseThrow(() -> Placement.noCapacity(request.regionId(), request.envelope()));
                Instant now = clock.instant();
                UUID workspaceId = Ids.newId(clock);
                UUID operationId = Ids.newId(clock);
                tx.workspaces().insert(request.newWorkspace(workspaceId, hostId, operationId, now));
                tx.domains()
                        .insert(
                                Ids.newId(clock),
                                workspaceId,
                                workspaceId + "." + workspaceDomain,
                                "default_subdomain",
                                now);
                Map<String, String> params = new java.util.HashMap<>(TraceContext.current());
                if (awaiting) {
                    params.put(CapacityWait.PARAM, "true");
                }
                if (request.fork() != null) {
                    params.put(
                            CreateWorkspaceJob.FORKED_FROM,
                            request.fork().sourceWorkspaceId().toString());
                    params.put("snapshot_id", request.fork().snapshotId().toString());
                }
                Operation op = new Operation(
                        operationId,
                        workspaceId,
                        OperationVerb.CREATE,
                        request.flavor(),
                        OperationStatus.PENDING,
                        request.requestId(),
                        request.fingerprint(),
                        params,
                        actor,
                        runner.job(OperationVerb.CREATE).initialState(params),
                        operationId.toString(),
                        null,
                        null,
                        now,
                        null,
                        null,
                        0);
                tx.operations().insert(op);
                engine.schedule(tx, op);
                tx.audit()
                        .append(
                                workspaceId,
                                operationId,
                                "transition.create.requested",
                                Map.of(
                                        "verb",
                                        "create",
                                        "operation_id",
                                        operationId.toString(),
                                        "host_id",
                                        awaiting ? "none yet: waiting for capacity" : hostId.toString(),
                                        "flavor",
                                        request.flavor().wire()),
                                actor,
                                now);
                meters.counter("spinup_operations_started", "verb", OperationVerb.CREATE.wire())
                        .increment();
                return op;
            });
        } catch (StoreException.Duplicate e) {
            if (e.constraint().equals("operations_request_id_key")) {
                Operation winner = db.read(tx -> tx.operations().findByRequestId(request.requestId()))
                        .orElseThrow();
                return sameRequest(winner, request.fingerprint());
            }
            if (e.constraint().equals("workspaces_external_workspace_id_live")) {
                // a create with another request_id for the same external id committed first
                UUID winner = db.read(tx -> tx.workspaces().liveByExternalId(request.externalWorkspaceId()))
                        .orElse(null);
                throw externalIdInUse(request.externalWorkspaceId(), winner);
            }
            throw e;
        }
    }

    /**
     * A product that retries a create with a new request_id (after a timeout, say) must not get a
     * second workspace: the external id names one live workspace at a time.
     */
    private static SpinUpException externalIdInUse(String externalWorkspaceId, UUID workspaceId) {
        return new SpinUpException(
                SpinUpException.Kind.ALREADY_EXISTS,
                ErrorReason.EXTERNAL_WORKSPACE_ID_IN_USE,
                "external_workspace_id \"" + externalWorkspaceId + "\" already names workspace " + workspaceId
                        + "; get it, or delete it before creating another under that id",
                workspaceId == null
                        ? Map.of("externalWorkspaceId", externalWorkspaceId)
                        : Map.of("externalWorkspaceId", externalWorkspaceId, "workspaceId", workspaceId.toString()));
    }

    /**
     * Starts {@code verb} on an existing workspace. Refuses with OPERATION_IN_PROGRESS while another
     * transition is in flight (no queueing), and with INVALID_STATE_TRANSITION when the lifecycle
     * table does not allow the verb from the workspace's state.
     */
    public Operation transition(
            OperationVerb verb,
            String requestId,
            String fingerprint,
            UUID workspaceId,
            Map<String, String> requested,
            String actor) {
        return start(verb, requestId, fingerprint, workspaceId, requested, actor);
    }

    /** Starts a periodic snapshot (actor "system"); it does not make the workspace busy. */
    public Operation snapshot(UUID workspaceId, String requestId) {
        return started(OperationVerb.SNAPSHOT, requestId, workspaceId, "system");
    }

    /** Starts a REPAIR (actor "system") after reconcile found the workspace's host out of line. */
    public Operation repair(UUID workspaceId) {
        return started(OperationVerb.REPAIR, "repair:" + workspaceId + ":" + Ids.newId(clock), workspaceId, "system");
    }

    /**
     * Starts the RECOVER (actor "system") of a workspace of the lost host {@code lostHost}; the
     * request id is per workspace and host, so scans racing on it start one.
     */
    public Operation recover(UUID workspaceId, UUID lostHost) {
        return started(OperationVerb.RECOVER, "recover:" + workspaceId + ":" + lostHost, workspaceId, "system");
    }

    /** Starts the EVACUATE of a workspace off {@code host} (an operator's EvacuateHost). */
    public Operation evacuate(UUID workspaceId, UUID host, String actor) {
        return started(
                OperationVerb.EVACUATE,
                "evacuate:" + workspaceId + ":" + host + ":" + Ids.newId(clock),
                workspaceId,
                actor);
    }

    /** A verb the control plane starts by itself (no request body: the fingerprint is the verb and workspace). */
    private Operation started(OperationVerb verb, String requestId, UUID workspaceId, String actor) {
        return start(verb, requestId, verb.wire() + ":" + workspaceId, workspaceId, Map.of(), actor);
    }

    private Operation start(
            OperationVerb verb,
            String requestId,
            String fingerprint,
            UUID workspaceId,
            Map<String, String> requested,
            String actor) {
        Span span = tracer.spanBuilder("WorkspaceService." + verb.wire())
                .setSpanKind(SpanKind.SERVER)
                .setAttribute("spinup.workspace_id", workspaceId.toString())
                .startSpan();
        return TraceContext.inSpan(
                span,
                () -> withOperationId(span, startTraced(verb, requestId, fingerprint, workspaceId, requested, actor)));
    }

    private Operation startTraced(
            OperationVerb verb,
            String requestId,
            String fingerprint,
            UUID workspaceId,
            Map<String, String> requested,
            String actor) {
        if (!runner.supports(verb)) {
            throw SpinUpException.unimplemented(verb.name());
        }
        try {
            return db.inTransaction(tx -> {
                Optional<Operation> existing = claim(tx, requestId);
                if (existing.isPresent()) {
                    return sameRequest(existing.get(), fingerprint);
                }
                Workspace workspace = tx.workspaces()
                        .findForUpdate(workspaceId)
                        .orElseThrow(() -> SpinUpException.workspaceNotFound(workspaceId));
                if (verb.makesBusy() && workspace.currentOperationId() != null) {
                    throw inProgress(workspace.currentOperationId());
                }
                if (!Lifecycle.allows(verb, workspace.state())) {
                    throw SpinUpException.failedPrecondition(
                            ErrorReason.INVALID_STATE_TRANSITION,
                            verb.name() + " is not allowed from "
                                    + workspace.state().wire() + " (allowed from "
                                    + Lifecycle.transition(verb).from().stream()
                                            .map(WorkspaceState::wire)
                                            .sorted()
                                            .toList()
                                    + ")",
                            Map.of("state", workspace.state().name(), "verb", verb.name()));
                }
                Instant now = clock.instant();
                OperationJob job = runner.job(verb);
                Map<String, String> params = new java.util.HashMap<>(job.accept(tx, workspace, requested, now));
                params.putAll(TraceContext.current());
                UUID operationId = Ids.newId(clock);
                Operation op = new Operation(
                        operationId,
                        workspaceId,
                        verb,
                        workspace.flavor(),
                        OperationStatus.PENDING,
                        requestId,
                        fingerprint,
                        params,
                        actor,
                        job.initialState(params),
                        operationId.toString(),
                        null,
                        null,
                        now,
                        null,
                        null,
                        0);
                tx.operations().insert(op);
                if (verb.makesBusy()) {
                    tx.workspaces().startOperation(workspaceId, operationId, now);
                }
                engine.schedule(tx, op);
                tx.audit()
                        .append(
                                workspaceId,
                                operationId,
                                "transition." + verb.wire() + ".requested",
                                Map.of(
                                        "verb",
                                        verb.wire(),
                                        "operation_id",
                                        operationId.toString(),
                                        "from_state",
                                        workspace.state().wire()),
                                actor,
                                now);
                meters.counter("spinup_operations_started", "verb", verb.wire()).increment();
                return op;
            });
        } catch (StoreException.Duplicate e) {
            if (e.constraint().equals("operations_request_id_key")) {
                Operation winner = db.read(tx -> tx.operations().findByRequestId(requestId))
                        .orElseThrow();
                return sameRequest(winner, fingerprint);
            }
            if (e.constraint().equals("operations_one_in_flight")
                    || e.constraint().equals("operations_one_snapshot_in_flight")) {
                UUID current = db.read(tx -> tx.workspaces().find(workspaceId))
                        .map(Workspace::currentOperationId)
                        .orElse(null);
                throw inProgress(current);
            }
            if (e.constraint().equals("workspace_domains_domain_key")) {
                // AddDomain raced another AddDomain of the same name and lost
                throw new SpinUpException(
                        SpinUpException.Kind.ALREADY_EXISTS,
                        ErrorReason.DOMAIN_TAKEN,
                        "domain " + requested.get("domain") + " is already routed to another workspace",
                        Map.of("domain", String.valueOf(requested.get("domain"))));
            }
            throw e;
        }
    }

    /**
     * Claims {@code requestId} before any other work of the call: copies of one request serialize
     * here, and each later copy finds the operation the first one committed (whatever placement or
     * the workspace's state would now say). The UNIQUE request_id stays the backstop.
     */
    private Optional<Operation> claim(Tx tx, String requestId) {
        tx.operations().lockRequestId(requestId);
        return tx.operations().findByRequestId(requestId);
    }

    private static SpinUpException inProgress(UUID operationId) {
        return new SpinUpException(
                SpinUpException.Kind.ABORTED,
                ErrorReason.OPERATION_IN_PROGRESS,
                "another operation is in flight on this workspace; poll it and retry with a new request_id",
                operationId == null ? Map.of() : Map.of("operationId", operationId.toString()));
    }

    private static Operation sameRequest(Operation existing, String fingerprint) {
        if (!existing.requestFingerprint().equals(fingerprint)) {
            throw new SpinUpException(
                    SpinUpException.Kind.INVALID_ARGUMENT,
                    ErrorReason.REQUEST_ID_REUSED,
                    "request_id was already used for a different request (operation " + existing.id() + ")",
                    Map.of("operationId", existing.id().toString()));
        }
        return existing;
    }
}
