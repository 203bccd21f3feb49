package dev.spinup.controlplane.agents;

import dev.spinup.api.ProtoEnums;
import dev.spinup.api.v1.Inventory;
import dev.spinup.api.v1.InventoryWorkspace;
import dev.spinup.api.v1.LocalWorkspaceState;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.WorkspaceStore.Placed;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host's inventory (sent at every session start) against what the database places on it:
 * workspaces it has that the control plane does not place there are orphans, recorded and never
 * destroyed; idle workspaces out of line are repaired.
 */
final class InventoryReconcile {
    private static final Logger log = LoggerFactory.getLogger(InventoryReconcile.class);

    private final Transactions db;
    private final Consumer<UUID> repair;
    private final MeterRegistry meters;
    private final Counter orphansFound;

    /** @param repair starts a REPAIR operation on an idle workspace whose host is out of line */
    InventoryReconcile(Transactions db, Consumer<UUID> repair, MeterRegistry meters) {
        this.db = db;
        this.repair = repair;
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (Mismatch kind : Mismatch.values()) {
            meters.counter("spinup_reconcile_mismatches", "kind", kind.label());
        }
        this.orphansFound = meters.counter("spinup_orphans_found");
    }

    /** Workspaces the host has that the control plane does not place there are orphans: recorded, never destroyed. */
    void record(UUID hostId, Inventory inventory, Instant now) {
        record Read(List<Placed> placed, List<InventoryWorkspace> orphans) {}
        Read read = db.inTransaction(tx -> {
            List<Placed> placed = tx.workspaces().placedOn(hostId);
            Set<UUID> known = placed.stream().map(Placed::id).collect(Collectors.toSet());
            List<InventoryWorkspace> unknown = inventory.getWorkspacesList().stream()
                    .filter(w -> !isPlaced(w.getWorkspaceId(), known))
                    .toList();
            Map<String, String> states = new LinkedHashMap<>();
            unknown.forEach(w -> states.put(w.getWorkspaceId(), ProtoEnums.bare(w.getState())));
            tx.fleet().replaceOrphans(hostId, states, now);
            return new Read(placed, unknown);
        });
        for (InventoryWorkspace w : read.orphans()) {
            log.atWarn()
                    .setMessage("orphan_found")
                    .addKeyValue("host", hostId)
                    .addKeyValue("workspace", w.getWorkspaceId())
                    .addKeyValue("local_state", w.getState())
                    .log();
        }
        orphansFound.increment(read.orphans().size());
        reconcile(hostId, inventory, read.placed());
        log.atInfo()
                .setMessage("inventory")
                .addKeyValue("host", hostId)
                .addKeyValue("workspaces", inventory.getWorkspacesCount())
                .addKeyValue("orphans", read.orphans().size())
                .log();
    }

    private static boolean isPlaced(String workspaceId, Set<UUID> placed) {
        try {
            return placed.contains(UUID.fromString(workspaceId));
        } catch (IllegalArgumentException notAnId) {
            return false;
        }
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
        var local = new HashMap<String, InventoryWorkspace>();
        inventory.getWorkspacesList().forEach(w -> local.put(w.getWorkspaceId(), w));
        List<Placed> expected = placed.stream()
                .filter(w -> w.idle() && (w.state() == WorkspaceState.ACTIVE || w.state() == WorkspaceState.SUSPENDED))
                .toList();
        for (Placed w : expected) {
            InventoryWorkspace have = local.get(w.id().toString());
            boolean active = w.state() == WorkspaceState.ACTIVE;
            boolean running = have != null && have.getState() == LocalWorkspaceState.LOCAL_WORKSPACE_STATE_RUNNING;
            Mismatch kind = have == null
                    ? Mismatch.MISSING_ON_HOST
                    : active && !running
                            ? Mismatch.NOT_RUNNING
                            : !active && running ? Mismatch.RUNNING_WHILE_SUSPENDED : null;
            if (kind == null) {
                continue;
            }
            meters.counter("spinup_reconcile_mismatches", "kind", kind.label()).increment();
            // a workspace the host lost is an operator's problem; one that runs when it should not
            // (or the reverse) is repaired right below: expected after a crash, so a warning
            org.slf4j.event.Level level = have == null ? org.slf4j.event.Level.ERROR : org.slf4j.event.Level.WARN;
            log.atLevel(level)
                    .log(
                            "event=reconcile_mismatch host={} workspace={} state={} kind={}",
                            hostId,
                            w.id(),
                            w.state().wire(),
                            kind.label());
            if (have != null) {
                try {
                    repair.accept(w.id());
                } catch (SpinUpException e) {
                    // it became busy or changed state since the query: that operation sets the host right
                    log.atInfo()
                            .setMessage("repair_skipped")
                            .addKeyValue("workspace", w.id())
                            .addKeyValue("reason", e.reason())
                            .log();
                }
            }
        }
    }

    /** How a host's inventory differs from what the control plane has placed there (the metric's kinds). */
    enum Mismatch {
        MISSING_ON_HOST,
        NOT_RUNNING,
        RUNNING_WHILE_SUSPENDED;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
