package dev.spinup.controlplane.agents;

import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.CommandAck;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What agents say about commands: their acks (accepted, or refused with why) and their results,
 * each recorded once and waking the operation that waits for it, in the same transaction.
 */
final class CommandResults {
    private static final Logger log = LoggerFactory.getLogger(CommandResults.class);

    private final Transactions db;
    private final CommandOutbox outbox;
    private final BiConsumer<Tx, String> wakeJob;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Counter agentCommandsRejected;
    private final Counter agentIdentityViolations;

    CommandResults(
            Transactions db, CommandOutbox outbox, BiConsumer<Tx, String> wakeJob, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.outbox = outbox;
        this.wakeJob = wakeJob;
        this.clock = clock;
        this.meters = meters;
        this.agentCommandsRejected = meters.counter("spinup_agent_commands_rejected");
        this.agentIdentityViolations = meters.counter("spinup_agent_identity_violations");
    }

    /**
     * The agent's ack of a command. Accepted: the command advances to acked, and the commit does
     * not wait for the disk (lost in a database crash, it costs a resend the agent runs once).
     * Refused: the refusal is the command's result, and its operation's job is woken with it.
     */
    void ack(UUID hostId, CommandAck ack) {
        Instant now = clock.instant();
        if (ack.getAccepted()) {
            db.inTransactionVoid(tx -> {
                tx.commitWithoutWaitingForDisk();
                tx.commands().markAccepted(hostId, ack.getCommandId(), now);
            });
            return;
        }
        log.atWarn()
                .setMessage("command_rejected")
                .addKeyValue("host", hostId)
                .addKeyValue("command", ack.getCommandId())
                .addKeyValue("reason", ack.getRejectReason())
                .log();
        agentCommandsRejected.increment();
        db.inTransactionVoid(tx -> outbox.recordRejection(tx, hostId, ack.getCommandId(), ack.getRejectReason(), now)
                .ifPresent(jobId -> wakeJob.accept(tx, jobId)));
    }

    void record(UUID hostId, AgentEvent event) {
        Optional<String> job = db.inTransaction(tx -> {
            Optional<String> recorded = outbox.recordResult(tx, hostId, event.getResult(), clock.instant());
            recorded.ifPresent(jobId -> wakeJob.accept(tx, jobId));
            return recorded;
        });
        if (job.isEmpty()) {
            refuseForeignResult(hostId, event.getResult().getCommandId());
        }
        log.atInfo()
                .setMessage("command_result")
                .addKeyValue("host", hostId)
                .addKeyValue("command", event.getResult().getCommandId())
                .addKeyValue("outcome", event.getResult().getOutcome())
                .addKeyValue("message", event.getResult().getMessage())
                .log();
    }

    /** A host may only report on its own commands; anything else is refused, logged and counted. */
    private void refuseForeignResult(UUID hostId, String commandId) {
        Optional<UUID> owner = db.read(tx -> tx.commands().hostOf(commandId));
        if (owner.isPresent() && !owner.get().equals(hostId)) {
            agentIdentityViolations.increment();
            log.atWarn()
                    .setMessage("foreign_result_refused")
                    .addKeyValue("host", hostId)
                    .addKeyValue("command", commandId)
                    .addKeyValue("owner", owner.get())
                    .log();
        }
    }
}
