package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.steps.AgentLink;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import dev.spinup.controlplane.store.WorkspaceStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Losing a host. A host is lost when an operator says so ({@link #declare}) or when its heartbeats
 * stopped for longer than the lease plus the loss grace ({@link #scan}, a recurring task). Losing
 * fences it first, in one transaction: the host is {@code lost}, so its certificate opens no
 * session, a session it has on any replica is ended ({@link #NOTIFY_CHANNEL}), and every step that
 * needs it fails at once (the operations waiting on it are woken to see that). Then each of its active and suspended workspaces that no operation holds gets a
 * RECOVER of its own ({@link RecoverWorkspaceJob}); the scan starts the ones that were busy once
 * their operation ends, and any a crash left unstarted: the request id is per workspace and host,
 * so a workspace is recovered once.
 */
public final class HostLoss {
    /** Told, with the host's id, when a host is lost: each replica ends its session of the host if it holds one. */
    public static final String NOTIFY_CHANNEL = "spinup_hosts_lost";

    private static final Logger log = LoggerFactory.getLogger(HostLoss.class);

    private final Transactions db;
    private final WorkspaceService workspaces;
    private final Duration lease;
    private final Duration grace;
    private final BiConsumer<Tx, String> wake;
    private final ArchivedHomes archivedHomes;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Counter recoveriesNotStarted;
    /** Silence counts only while this replica could hear it: after an outage every host looks silent. */
    private final Instant listeningSince;

    /**
     * @param lease the heartbeat lease; a host is lost when silent past {@code lease + grace}
     * @param wake makes an operation's job due now (one that waits on the lost host)
     * @param link sends a new home of archived workspaces its routing table
     */
    public HostLoss(
            Transactions db,
            WorkspaceService workspaces,
            Duration lease,
            Duration grace,
            BiConsumer<Tx, String> wake,
            AgentLink link,
            Clock clock,
            MeterRegistry meters) {
        this.db = db;
        this.workspaces = workspaces;
        this.lease = lease;
        this.grace = grace;
        this.wake = wake;
        this.archivedHomes = new ArchivedHomes(db, link, clock);
        this.clock = clock;
        this.meters = meters;
        this.listeningSince = clock.instant();
        for (String how : List.of("declared", "silent")) {
            meters.counter("spinup_hosts_lost", "how", how);
        }
        this.recoveriesNotStarted = meters.counter("spinup_background_failures", "loop", "host_loss");
        meters.gauge("spinup_hosts_lost_with_workspaces", this, HostLoss::lostWithWorkspaces);
    }

    /**
     * An operator's DeclareHostLost: fences the host (audited, once) and starts its recoveries.
     * Declaring a lost host lost again changes nothing.
     */
    public void declare(UUID hostId, String reason, String actor) {
        if (reason == null || reason.isBlank() || reason.length() > 200) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID, "reason", "reason is required, at most 200 characters");
        }
        if (db.read(tx -> tx.fleet().findHost(hostId)).isEmpty()) {
            throw SpinUpException.notFound(ErrorReason.HOST_NOT_FOUND, "hostId", hostId, "no host " + hostId);
        }
        if (fence(hostId, "declared lost by " + actor + ": " + reason, actor, "declared")) {
            recover(hostId);
        }
    }

    /**
     * The recurring pass: hosts silent past the lease and the grace are lost; every lost host's
     * workspaces get their RECOVER. Silence is counted from when this replica started at the
     * earliest: after an outage of the whole control plane every host's last heartbeat is old, and
     * its agent needs a moment to dial in again.
     */
    public void scan() {
        Instant now = clock.instant();
        Instant cutoff = now.minus(lease).minus(grace);
        List<UUID> silent = cutoff.isBefore(listeningSince)
                ? List.of()
                : db.read(tx -> tx.fleet().silentSince(cutoff));
        for (UUID host : silent) {
            fence(
                    host,
                    "no heartbeat for longer than the lease and the loss grace (" + grace.toSeconds() + " s)",
                    "system",
                    "silent");
        }
        for (UUID host : db.read(tx -> tx.fleet().lostWithWorkspaces())) {
            recover(host);
        }
    }

    /** Lost from now on; false if it was lost (or retired) already. */
    private boolean fence(UUID hostId, String reason, String actor, String how) {
        boolean lost = db.inTransaction(tx -> {
            Instant now = clock.instant();
            if (!tx.fleet().declareLost(hostId, now, reason)) {
                return false;
            }
            tx.audit()
                    .append(null, null, "host.lost", Map.of("hostId", hostId.toString(), "reason", reason), actor, now);
            // steps waiting on its results see it is lost now, not at their deadlines
            tx.commands().jobsAwaiting(hostId).forEach(job -> wake.accept(tx, job));
            // every replica ends the host's session if it holds one (see NOTIFY_CHANNEL)
            tx.notify(NOTIFY_CHANNEL, hostId.toString());
            return true;
        });
        if (lost) {
            meters.counter("spinup_hosts_lost", "how", how).increment();
            log.atWarn()
                    .setMessage("host_lost")
                    .addKeyValue("host", hostId)
                    .addKeyValue("reason", reason)
                    .log();
        }
        return lost;
    }

    /**
     * Starts a RECOVER for each of the host's active and suspended workspaces that no operation
     * holds, and moves its archived ones' names elsewhere.
     */
    private void recover(UUID hostId) {
        List<WorkspaceStore.Placed> placed = db.read(
                tx -> tx.fleet().isLost(hostId) ? tx.workspaces().placedOn(hostId) : List.<WorkspaceStore.Placed>of());
        archivedHomes.moveOff(hostId, placed, false);
        for (WorkspaceStore.Placed w : placed) {
            if (!w.idle() || (w.state() != WorkspaceState.ACTIVE && w.state() != WorkspaceState.SUSPENDED)) {
                continue; // a busy one is started by a later scan, once its operation has ended
            }
            try {
                workspaces.recover(w.id(), hostId);
            } catch (SpinUpException e) {
                // taken by another operation since the read: a later scan looks again
                recoveriesNotStarted.increment();
                log.atInfo()
                        .setMessage("recover_not_started")
                        .addKeyValue("workspace", w.id())
                        .addKeyValue("reason", e.reason())
                        .log();
            }
        }
    }

    private double lostWithWorkspaces() {
        try {
            return db.read(tx -> tx.fleet().lostWithWorkspaces().size());
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }
}
