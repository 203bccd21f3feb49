package dev.spinup.controlplane.agents;

import dev.spinup.api.LogText;
import dev.spinup.api.TraceContext;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.CommandAck;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import dev.spinup.api.v1.Inventory;
import dev.spinup.api.v1.InventoryWorkspace;
import dev.spinup.api.v1.LocalWorkspaceState;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.WorkspaceStore.Placed;
import dev.spinup.controlplane.store.Tx;
import dev.spinup.controlplane.fleet.HeartbeatWriter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies one agent event to the database. Idempotent: a replayed event changes nothing more. */
public final class AgentEventHandler {
    private static final Logger log = LoggerFactory.getLogger(AgentEventHandler.class);

    private final Transactions db;
    private final HeartbeatWriter heartbeats;
    private final CommandOutbox outbox;
    private final BiConsumer<Tx, String> wakeJob;
    private final Consumer<UUID> repair;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Tracer tracer;
    /** The replay-buffer depth each host reported in its last heartbeat to this replica. */
    private final java.util.concurrent.ConcurrentMap<UUID, Integer> replayDepth = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param wakeJob makes an operation's job due now, inside the transaction that records what it waited for
     * @param repair starts a REPAIR operation on an idle workspace whose host is out of line */
    public AgentEventHandler(Transactions db, HeartbeatWriter heartbeats, CommandOutbox outbox, BiConsumer<Tx, String> wakeJob,
                             Consumer<UUID> repair, Clock clock, MeterRegistry meters, Tracer tracer) {
        this.tracer = tracer;
        this.db = db;
        this.heartbeats = heartbeats;
        this.outbox = outbox;
        this.wakeJob = wakeJob;
        this.repair = repair;
        this.clock = clock;
        this.meters = meters;
        io.micrometer.core.instrument.Gauge.builder("spinup_agent_replay_buffer_depth_max", replayDepth,
                        m -> m.values().stream().mapToInt(Integer::intValue).max().orElse(0))
                .description("the deepest agent replay buffer (events not yet acked; cap 10,000)").register(meters);
        io.micrometer.core.instrument.Gauge.builder("spinup_agent_replay_buffer_events", replayDepth,
                        m -> m.values().stream().mapToInt(Integer::intValue).sum())
                .description("events waiting in all agents' replay buffers").register(meters);
    }

    /** Applies the event; throws {@link RefusedEventException} for one no replay could make acceptable. */
    public void handle(UUID hostId, AgentEvent event) {
        meters.counter("spinup_agent_events", "kind", event.getKindCase().name()).increment();
        EventValidation.check(event);
        Instant now = clock.instant();
        switch (event.getKindCase()) {
            case HEARTBEAT -> {
                replayDepth.put(hostId, event.getHeartbeat().getReplayBufferDepth());
                heartbeats.record(hostId, now);
            }
            case RESULT -> {
                Span span = tracer.spanBuilder("result " + event.getResult().getCommandId())
                        .setParent(TraceContext.from(event.getTraceContextMap()))
                        .setAttribute("spinup.host_id", hostId.toString())
                        .setAttribute("spinup.outcome", event.getResult().getOutcome().name()).startSpan();
                TraceContext.inSpan(span, () -> recordResult(hostId, event));
            }
            case PROGRESS -> log.info("event=command_progress host={} command={} percent={} message=\"{}\"", hostId,
                    LogText.of(event.getProgress().getCommandId()), event.getProgress().getPercent(),
                    LogText.of(event.getProgress().getMessage()));
            case WORKSPACE_EVENT -> {
                meters.counter("spinup_workspace_local_events", "kind", event.getWorkspaceEvent().getKind().name())
                        .increment();
                log.warn("event=workspace_local_event host={} workspace={} kind={} message=\"{}\"", hostId,
                        LogText.of(event.getWorkspaceEvent().getWorkspaceId()), event.getWorkspaceEvent().getKind(),
                        LogText.of(event.getWorkspaceEvent().getMessage()));
            }
            case INVENTORY -> recordInventory(hostId, event.getInventory(), now);
            case CERTIFICATE -> recordCertificate(hostId, event.getCertificate());
            case KIND_NOT_SET -> throw new IllegalStateException("checked above");
        }
    }

    /**
     * The agent's ack of a command. Accepted: the command advances to acked, and the commit does
     * not wait for the disk (lost in a database crash, it costs a resend the agent runs once).
     * Refused: the refusal is the command's result, and its operation's job is woken with it.
     */
    public void ack(UUID hostId, CommandAck ack) {
        Instant now = clock.instant();
        if (ack.getAccepted()) {
            db.inTransactionVoid(tx -> {
                tx.commitWithoutWaitingForDisk();
                tx.commands().markAccepted(hostId, ack.getCommandId(), now);
            });
            return;
        }
        log.warn("event=command_rejected host={} command={} reason=\"{}\"", hostId, LogText.of(ack.getCommandId()),
                LogText.of(ack.getRejectReason()));
        meters.counter("spinup_agent_commands_rejected").increment();
        db.inTransactionVoid(tx -> outbox.recordRejection(tx, hostId, ack.getCommandId(), ack.getRejectReason(), now)
                .ifPresent(jobId -> wakeJob.accept(tx, jobId)));
    }

    /**
     * Reconcile of idle workspaces (no operation in flight) the database places on this host:
     * <ul>
     * <li>active but not running there, or suspended but running: a REPAIR operation starts or stops it;
     * <li>missing from the host entirely: reported only. Its disk is gone, so nothing can be
     *     started; the operator restores it from a snapshot or deletes it.
     * </ul>
     * Every mismatch is logged and counted (spinup_reconcile_mismatches_total{kind}).
     */
    private void reconcile(UUID hostId, Inventory inventory, List<Placed> placed) {
        var local = new java.util.HashMap<String, InventoryWorkspace>();
        inventory.getWorkspacesList().forEach(w -> local.put(w.getWorkspaceId(), w));
        List<Placed> expected = placed.stream()
                .filter(w -> w.idle() && (w.state() == WorkspaceState.ACTIVE || w.state() == WorkspaceState.SUSPENDED))
                .toList();
        for (Placed w : expected) {
            InventoryWorkspace have = local.get(w.id().toString());
            boolean active = w.state() == WorkspaceState.ACTIVE;
            boolean running = have != null && have.getState() == LocalWorkspaceState.LOCAL_RUNNING;
            String kind = have == null ? "missing_on_host"
                    : active && !running ? "not_running"
                    : !active && running ? "running_while_suspended" : null;
            if (kind == null) {
                continue;
            }
            meters.counter("spinup_reconcile_mismatches", "kind", kind).increment();
            log.error("event=reconcile_mismatch host={} workspace={} state={} kind={}", hostId, w.id(), w.state().wire(),
                    kind);
            if (have != null) {
                try {
                    repair.accept(w.id());
                } catch (SpinUpException e) {
                    // it became busy or changed state since the query: that operation sets the host right
                    log.info("event=repair_skipped workspace={} reason={}", w.id(), e.reason());
                }
            }
        }
    }

    /**
     * The edge's certificate for a name changed state. Only a host that routes the workspace (it
     * runs there, or it is its home) may report on its names; anything else is ignored and counted.
     */
    private void recordCertificate(UUID hostId, dev.spinup.api.v1.CertificateStatus status) {
        String state = switch (status.getState()) {
            case CERT_PENDING -> "pending";
            case CERT_ISSUED -> "issued";
            case CERT_FAILED -> "failed";
            case CERT_EXPIRED -> "expired";
            case CERT_STATE_UNSPECIFIED, UNRECOGNIZED -> null;
        };
        if (state == null) {
            return;
        }
        Instant issued = status.getState() == dev.spinup.api.v1.CertState.CERT_ISSUED && status.hasNotBefore()
                ? Instant.ofEpochSecond(status.getNotBefore().getSeconds()) : null;
        boolean applied = db.inTransaction(tx -> tx.domains().recordCertificate(hostId, status.getDomain(), state, issued));
        meters.counter("spinup_certificate_reports", "state", state, "applied", applied ? "yes" : "no").increment();
        log.info("event=certificate_status host={} domain={} state={} applied={} message=\"{}\"", hostId,
                LogText.of(status.getDomain()), state, applied, LogText.of(status.getMessage()));
    }

    private void recordResult(UUID hostId, AgentEvent event) {
        Optional<String> job = db.inTransaction(tx -> {
            Optional<String> recorded = outbox.recordResult(tx, hostId, event.getResult(), clock.instant());
            recorded.ifPresent(jobId -> wakeJob.accept(tx, jobId));
            return recorded;
        });
        if (job.isEmpty()) {
            refuseForeignResult(hostId, event.getResult().getCommandId());
        }
        log.info("event=command_result host={} command={} outcome={} message=\"{}\"", hostId,
                LogText.of(event.getResult().getCommandId()), event.getResult().getOutcome(),
                LogText.of(event.getResult().getMessage()));
    }

    /** A host may only report on its own commands; anything else is refused, logged and counted. */
    private void refuseForeignResult(UUID hostId, String commandId) {
        Optional<UUID> owner = db.read(tx -> tx.commands().hostOf(commandId));
        if (owner.isPresent() && !owner.get().equals(hostId)) {
            meters.counter("spinup_agent_identity_violations").increment();
            log.warn("event=foreign_result_refused host={} command={} owner={}", hostId, LogText.of(commandId), owner.get());
        }
    }

    /** Workspaces the host has that the control plane does not place there are orphans: recorded, never destroyed. */
    private void recordInventory(UUID hostId, Inventory inventory, Instant now) {
        record Read(List<Placed> placed, List<InventoryWorkspace> orphans) {}
        Read read = db.inTransaction(tx -> {
            List<Placed> placed = tx.workspaces().placedOn(hostId);
            Set<UUID> known = placed.stream().map(Placed::id).collect(java.util.stream.Collectors.toSet());
            List<InventoryWorkspace> unknown = inventory.getWorkspacesList().stream()
                    .filter(w -> !isPlaced(w.getWorkspaceId(), known)).toList();
            Map<String, String> states = new java.util.LinkedHashMap<>();
            unknown.forEach(w -> states.put(w.getWorkspaceId(), w.getState().name()));
            tx.fleet().replaceOrphans(hostId, states, now);
            return new Read(placed, unknown);
        });
        for (InventoryWorkspace w : read.orphans()) {
            log.warn("event=orphan_found host={} workspace={} local_state={}", hostId, LogText.of(w.getWorkspaceId()),
                    w.getState());
        }
        meters.counter("spinup_orphans_found").increment(read.orphans().size());
        reconcile(hostId, inventory, read.placed());
        log.info("event=inventory host={} workspaces={} orphans={}", hostId, inventory.getWorkspacesCount(),
                read.orphans().size());
    }

    private static boolean isPlaced(String workspaceId, Set<UUID> placed) {
        try {
            return placed.contains(UUID.fromString(workspaceId));
        } catch (IllegalArgumentException notAnId) {
            return false;
        }
    }
}
