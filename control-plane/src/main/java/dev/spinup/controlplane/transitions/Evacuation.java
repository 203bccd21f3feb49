package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Host;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.steps.AgentLink;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.WorkspaceStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * EvacuateHost: drains the host (audited) and starts an EVACUATE ({@link EvacuateWorkspaceJob})
 * for each of its active and suspended workspaces that no operation holds; its archived ones'
 * names and archived page move to another edge host of the region ({@link ArchivedHomes}), so
 * the host can end empty and be given back. A workspace that is busy, or finds no room
 * elsewhere, is left on the host and reported: calling again moves it (each call starts its own
 * operations; a workspace moves once, as it is off the host when it is done).
 */
public final class Evacuation {
    /** How an evacuated host's state_reason starts: scale-in gives such a host back once it is empty. */
    public static final String EVACUATING = "evacuating: ";

    private final Transactions db;
    private final WorkspaceService workspaces;
    private final ArchivedHomes archivedHomes;
    private final Clock clock;

    /** What one call did: the operations it started, and the workspaces it left. */
    public record Result(List<Operation> started, List<UUID> left) {}

    /** @param link sends the archived workspaces' new home, and the host, their routing tables */
    public Evacuation(Transactions db, WorkspaceService workspaces, AgentLink link, Clock clock) {
        this.db = db;
        this.workspaces = workspaces;
        this.archivedHomes = new ArchivedHomes(db, link, clock);
        this.clock = clock;
    }

    public Result evacuate(UUID hostId, String actor) {
        Host host = db.read(tx -> tx.fleet().findHost(hostId))
                .orElseThrow(() ->
                        SpinUpException.notFound(ErrorReason.HOST_NOT_FOUND, "hostId", hostId, "no host " + hostId));
        if (host.state() == HostState.LOST || host.state() == HostState.RETIRED) {
            throw SpinUpException.failedPrecondition(
                    ErrorReason.INVALID_STATE_TRANSITION,
                    "host " + hostId + " is " + host.state().wire() + ": "
                            + (host.state() == HostState.LOST
                                    ? "its workspaces are recovered from their snapshots instead"
                                    : "it holds no workspace"),
                    Map.of("state", host.state().name()));
        }
        boolean evacuating =
                host.state() == HostState.DRAINING && host.stateReason().startsWith(EVACUATING);
        db.inTransactionVoid(tx -> {
            if (evacuating) {
                return; // called again: drained and audited once
            }
            tx.fleet().drain(hostId, clock.instant(), EVACUATING + "by " + actor);
            tx.audit()
                    .append(
                            null,
                            null,
                            "host.evacuation_started",
                            Map.of("hostId", hostId.toString()),
                            actor,
                            clock.instant());
        });
        List<Operation> started = new ArrayList<>();
        List<WorkspaceStore.Placed> placed = db.read(tx -> tx.workspaces().placedOn(hostId));
        List<UUID> left = new ArrayList<>(archivedHomes.moveOff(hostId, placed, true));
        for (WorkspaceStore.Placed w : placed) {
            if (w.state() != WorkspaceState.ACTIVE && w.state() != WorkspaceState.SUSPENDED) {
                continue;
            }
            if (!w.idle()) {
                left.add(w.id());
                continue;
            }
            try {
                started.add(workspaces.evacuate(w.id(), hostId, actor));
            } catch (SpinUpException e) {
                left.add(w.id()); // busy since the read, or no room elsewhere
            }
        }
        return new Result(started, left);
    }
}
