package dev.spinup.controlplane.store;

import dev.spinup.controlplane.core.EdgeMode;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The workspaces. */
public interface WorkspaceStore {
    record WorkspaceFilter(WorkspaceState state, String regionId, String externalUserId) {}

    /** A workspace the database places on a host; idle: no operation in flight. */
    record Placed(UUID id, WorkspaceState state, boolean idle) {}

    /** Inserts it, its home host being the host it is placed on. */
    void insert(Workspace w);

    Optional<Workspace> find(UUID id);

    /** Locks the row until the transaction ends. */
    Optional<Workspace> findForUpdate(UUID id);

    /** A page in id order (ids are time-ordered), after {@code afterId} when given; deleted ones only when asked for. */
    List<Workspace> list(WorkspaceFilter filter, UUID afterId, int limit);

    /** Where the started workspace's app answers, and its IDE ("" or null: it has none). */
    void setEndpoints(UUID id, String endpoint, String ideEndpoint, Instant now);

    void setEnvelope(UUID id, Flavor flavor, Envelope envelope, Instant now);

    /** The workspace was used at {@code at}, says its host: moves last_active_at forward, only on that host. */
    void touch(UUID hostId, UUID id, Instant at);

    /** Whether the app's names are served without an access grant. */
    void setAppPublic(UUID id, boolean appPublic, Instant now);

    /** Publishes preview port {@code port} of the workspace (anyone may open it) or makes it private. */
    void setPortPublic(UUID id, int port, boolean isPublic, Instant now);

    /**
     * What a host says its workspaces listen on, replacing its last report: each workspace on it
     * named in {@code ports} has those preview ports, every other one on it has none. Only rows
     * that change are written.
     */
    void reportPreviewPorts(UUID hostId, java.util.Map<UUID, List<Integer>> ports);

    /** Places the workspace on {@code hostId} in {@code state} (a restore's reservation). */
    void moveTo(UUID id, UUID hostId, WorkspaceState state, Instant now);

    /** Puts the workspace back on {@code hostId}, keeping its state. */
    void moveTo(UUID id, UUID hostId, Instant now);

    /** Places a workspace created with no host yet on {@code hostId}, also its home (where its name points). */
    void firstHost(UUID id, UUID hostId, Instant now);

    /** Marks the workspace busy with {@code operationId}; only succeeds when it is not busy. */
    boolean startOperation(UUID id, UUID operationId, Instant now);

    /**
     * Ends the in-flight operation {@code operationId} and moves to {@code state}; from now on the
     * edge routes the workspace as its state says (a transition's route is no longer needed).
     */
    void finishOperation(UUID id, UUID operationId, WorkspaceState state, Instant now);

    /** How the workspace is routed until its operation ends (then its state says it again). */
    void setEdgeMode(UUID id, EdgeMode mode);

    /** The host its DNS name points to (where it was created). */
    Optional<UUID> homeHost(UUID id);

    /** The workspace, not deleted, that the product knows as {@code externalWorkspaceId}. */
    Optional<UUID> liveByExternalId(String externalWorkspaceId);

    /** Nothing that identifies a person survives: external ids, name and labels are replaced. */
    void pseudonymize(UUID id);

    /** Its names' home (where its DNS name points) moves to {@code hostId}: its home host was lost. */
    void moveHome(UUID id, UUID hostId, Instant now);

    /**
     * An archived workspace of the lost host {@code from} (no operation holds it) moves, names and
     * page, to {@code to}; false if it is not such a workspace any more.
     */
    boolean rehomeArchived(UUID id, UUID from, UUID to, Instant now);

    /** Why the control plane put the workspace in its state by itself ("" clears it). */
    void setStateReason(UUID id, String reason, Instant now);

    /** The workspaces (not deleted) the database places on {@code hostId}. */
    List<Placed> placedOn(UUID hostId);

    /**
     * Active, idle workspaces whose last uploaded periodic snapshot (or, without one, their
     * creation) is older than their snapshot interval at {@code now}, and with no snapshot running.
     */
    List<UUID> dueForPeriodicSnapshot(Instant now, int limit);
}
