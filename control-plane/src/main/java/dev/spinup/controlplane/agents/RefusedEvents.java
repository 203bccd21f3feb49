package dev.spinup.controlplane.agents;

import dev.spinup.api.LogText;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Arrays;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the agent events the control plane refused (table refused_agent_events), counts them
 * ({@code spinup_agent_events_refused_total{reason}}) and logs each one, escaped.
 */
public final class RefusedEvents {
    private static final Logger log = LoggerFactory.getLogger(RefusedEvents.class);
    private static final int KEEP_BYTES = 64 * 1024;

    private final Transactions db;
    private final Clock clock;
    private final MeterRegistry meters;

    public RefusedEvents(Transactions db, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.clock = clock;
        this.meters = meters;
    }

    void record(UUID hostId, AgentEvent event, String reason, String message) {
        meters.counter("spinup_agent_events_refused", "reason", reason).increment();
        log.atWarn()
                .setMessage("agent_event_refused")
                .addKeyValue("host", hostId)
                .addKeyValue("seq", event.getSeq())
                .addKeyValue("kind", event.getKindCase())
                .addKeyValue("reason", reason)
                .addKeyValue("message", message)
                .log();
        byte[] bytes = event.toByteArray();
        db.inTransactionVoid(tx -> tx.refusedEvents()
                .insert(
                        hostId,
                        event.getSeq(),
                        event.getKindCase().name(),
                        reason,
                        LogText.of(message, 2000),
                        bytes.length <= KEEP_BYTES ? bytes : Arrays.copyOf(bytes, KEEP_BYTES),
                        clock.instant()));
    }
}
