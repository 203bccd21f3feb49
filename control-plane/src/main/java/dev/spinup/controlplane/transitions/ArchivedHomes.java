package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.steps.AgentCommand;
import dev.spinup.controlplane.steps.AgentLink;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.WorkspaceStore;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * An archived workspace keeps nothing on its host but its names and its archived page. When the
 * host goes (lost, or evacuated to be given back), both move to a healthy host of the region (one
 * with an edge first) in one transaction: the new home (and the old one, if it still answers) is sent its routing
 * table, and DNS follows the new home.
 */
final class ArchivedHomes {
    private final Transactions db;
    private final AgentLink link;
    private final Clock clock;

    ArchivedHomes(Transactions db, AgentLink link, Clock clock) {
        this.db = db;
        this.link = link;
        this.clock = clock;
    }

    /**
     * Moves the idle archived workspaces of {@code placed} off {@code host}; returns the archived
     * ones left there (busy, or no healthy host to take them: a later call looks again).
     *
     * @param hostAnswers the old host still runs its edge (evacuation), and drops their routes
     */
    List<UUID> moveOff(UUID host, List<WorkspaceStore.Placed> placed, boolean hostAnswers) {
        List<WorkspaceStore.Placed> archived = placed.stream()
                .filter(w -> w.state() == WorkspaceState.ARCHIVED)
                .toList();
        if (archived.isEmpty()) {
            return List.of();
        }
        return db.inTransaction(tx -> {
            String region = tx.fleet().findHost(host).orElseThrow().regionId();
            Optional<UUID> home = tx.fleet().namesHomeIn(region, host);
            if (home.isEmpty()) {
                return archived.stream().map(WorkspaceStore.Placed::id).toList();
            }
            Instant now = clock.instant();
            List<UUID> left = archived.stream()
                    .map(WorkspaceStore.Placed::id)
                    .filter(ws -> !tx.workspaces().rehomeArchived(ws, host, home.get(), now))
                    .toList();
            if (left.size() < archived.size()) {
                sendRoutes(tx, home.get(), host);
                if (hostAnswers) {
                    sendRoutes(tx, host, host);
                }
            }
            return left;
        });
    }

    private void sendRoutes(dev.spinup.controlplane.store.Tx tx, UUID to, UUID movedFrom) {
        link.send(
                tx,
                to,
                new AgentLink.Outgoing(
                        "rehomed-from-" + movedFrom + "-" + Ids.newId(clock),
                        null,
                        null,
                        "rehome_archived",
                        null,
                        Map.of(),
                        new AgentCommand.ApplyEdgeRoutes()));
    }
}
