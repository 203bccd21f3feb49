package dev.spinup.controlplane.agents;

import dev.spinup.api.ProtoEnums;
import dev.spinup.api.TraceContext;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.CommandAck;
import dev.spinup.controlplane.fleet.HeartbeatWriter;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one agent event: heartbeats to the lease, results and acks to the outbox
 * ({@link CommandResults}), inventories to reconcile ({@link InventoryReconcile}), certificate
 * reports to the workspace's names ({@link CertificateReports}). Idempotent: a replayed event
 * changes nothing more.
 */
public final class AgentEventHandler {
    private static final Logger log = LoggerFactory.getLogger(AgentEventHandler.class);

    private final HeartbeatWriter heartbeats;
    private final CommandResults results;
    private final InventoryReconcile inventories;
    private final CertificateReports certificates;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Tracer tracer;
    /** The replay-buffer depth each host reported in its last heartbeat to this replica. */
    private final EdgeReports edge;

    private final java.util.concurrent.ConcurrentMap<UUID, Integer> replayDepth =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param wakeJob makes an operation's job due now, inside the transaction that records what it waited for
     * @param repair starts a REPAIR operation on an idle workspace whose host is out of line */
    public AgentEventHandler(
            Transactions db,
            HeartbeatWriter heartbeats,
            CommandOutbox outbox,
            BiConsumer<Tx, String> wakeJob,
            Consumer<UUID> repair,
            Clock clock,
            MeterRegistry meters,
            Tracer tracer) {
        this.tracer = tracer;
        this.heartbeats = heartbeats;
        this.results = new CommandResults(db, outbox, wakeJob, clock, meters);
        this.inventories = new InventoryReconcile(db, repair, meters);
        this.certificates = new CertificateReports(db, meters);
        this.edge = new EdgeReports(db, clock, meters);
        this.clock = clock;
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (AgentEvent.KindCase kind : AgentEvent.KindCase.values()) {
            if (kind != AgentEvent.KindCase.KIND_NOT_SET) {
                meters.counter("spinup_agent_events", "kind", kind.name());
            }
        }
        for (dev.spinup.api.v1.WorkspaceLocalEventKind kind : dev.spinup.api.v1.WorkspaceLocalEventKind.values()) {
            if (kind != dev.spinup.api.v1.WorkspaceLocalEventKind.UNRECOGNIZED && kind.getNumber() != 0) {
                meters.counter("spinup_workspace_local_events", "kind", ProtoEnums.bare(kind));
            }
        }
        io.micrometer.core.instrument.Gauge.builder(
                        "spinup_agent_replay_buffer_depth_max",
                        replayDepth,
                        m -> m.values().stream()
                                .mapToInt(Integer::intValue)
                                .max()
                                .orElse(0))
                .description("the deepest agent replay buffer (events not yet acked; cap 10,000)")
                .register(meters);
        io.micrometer.core.instrument.Gauge.builder(
                        "spinup_agent_replay_buffer_events",
                        replayDepth,
                        m -> m.values().stream().mapToInt(Integer::intValue).sum())
                .description("events waiting in all agents' replay buffers")
                .register(meters);
    }

    /** Applies the event; throws {@link RefusedEventException} for one no replay could make acceptable. */
    public void handle(UUID hostId, AgentEvent event) {
        meters.counter("spinup_agent_events", "kind", event.getKindCase().name())
                .increment();
        EventValidation.check(event);
        Instant now = clock.instant();
        switch (event.getKindCase()) {
            case HEARTBEAT -> {
                replayDepth.put(hostId, event.getHeartbeat().getReplayBufferDepth());
                edge.record(hostId, event.getHeartbeat());
                heartbeats.record(hostId, now);
            }
            case RESULT -> {
                // command ids are <operation id>/<step>: the span is named by the step, never by an id
                String commandId = event.getResult().getCommandId();
                Span span = tracer.spanBuilder("result " + commandId.substring(commandId.lastIndexOf('/') + 1))
                        .setParent(TraceContext.from(event.getTraceContextMap()))
                        .setAttribute("spinup.command_id", commandId)
                        .setAttribute("spinup.host_id", hostId.toString())
                        .setAttribute(
                                "spinup.outcome",
                                ProtoEnums.bare(event.getResult().getOutcome()))
                        .startSpan();
                TraceContext.inSpan(span, () -> results.record(hostId, event));
            }
            case PROGRESS ->
                log.atInfo()
                        .setMessage("command_progress")
                        .addKeyValue("host", hostId)
                        .addKeyValue("command", event.getProgress().getCommandId())
                        .addKeyValue("percent", event.getProgress().getPercent())
                        .addKeyValue("message", event.getProgress().getMessage())
                        .log();
            case WORKSPACE_EVENT -> {
                meters.counter(
                                "spinup_workspace_local_events",
                                "kind",
                                ProtoEnums.bare(event.getWorkspaceEvent().getKind()))
                        .increment();
                log.atWarn()
                        .setMessage("workspace_local_event")
                        .addKeyValue("host", hostId)
                        .addKeyValue("workspace", event.getWorkspaceEvent().getWorkspaceId())
                        .addKeyValue("kind", event.getWorkspaceEvent().getKind())
                        .addKeyValue("message", event.getWorkspaceEvent().getMessage())
                        .log();
            }
            case INVENTORY -> inventories.record(hostId, event.getInventory(), now);
            case CERTIFICATE -> certificates.record(hostId, event.getCertificate());
            case KIND_NOT_SET -> throw new IllegalStateException("checked above");
        }
    }

    /** The agent's ack of a command (see {@link CommandResults#ack}). */
    public void ack(UUID hostId, CommandAck ack) {
        results.ack(hostId, ack);
    }
}
