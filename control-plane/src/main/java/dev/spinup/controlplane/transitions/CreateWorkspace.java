package dev.spinup.controlplane.transitions;

import static java.util.Objects.requireNonNull;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.store.Tx;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A validated CreateWorkspace request, or a ForkWorkspace one: a create whose disk comes from
 * {@code fork}'s snapshot instead of the template (null for a plain create).
 */
public record CreateWorkspace(
        String requestId,
        String fingerprint,
        String externalWorkspaceId,
        String externalUserId,
        String displayName,
        String regionId,
        Flavor flavor,
        Envelope envelope,
        ProjectTemplate template,
        Map<String, String> labels,
        Fork fork) {
    /** The workspace a fork is made from, and which of its snapshots. */
    public record Fork(UUID sourceWorkspaceId, UUID snapshotId) {
        /**
         * The snapshot is the source workspace's, and restorable whole: verified, in object
         * storage, and so is its full one if it is a differential.
         */
        void checkRestorable(Tx tx) {
            if (tx.snapshots()
                    .find(snapshotId)
                    .filter(s -> s.workspaceId().equals(sourceWorkspaceId))
                    .isEmpty()) {
                throw SpinUpException.notFound(
                        ErrorReason.SNAPSHOT_NOT_FOUND,
                        "snapshotId",
                        snapshotId,
                        "workspace " + sourceWorkspaceId + " has no snapshot " + snapshotId);
            }
            if (tx.snapshots().restorable(snapshotId).isEmpty()) {
                throw SpinUpException.failedPrecondition(
                        ErrorReason.NO_VERIFIED_SNAPSHOT,
                        "snapshot " + snapshotId + " cannot be restored: it is not verified, or it (or the full"
                                + " snapshot it builds on) is no longer in object storage",
                        Map.of("snapshotId", snapshotId.toString()));
            }
        }
    }

    /** The new workspace's row: active, held by its CREATE, on {@code hostId} (null while it waits for room). */
    Workspace newWorkspace(UUID workspaceId, UUID hostId, UUID operationId, Instant now) {
        return new Workspace(
                workspaceId,
                externalWorkspaceId,
                externalUserId,
                displayName,
                regionId,
                hostId,
                flavor,
                envelope,
                WorkspaceState.ACTIVE,
                operationId,
                template,
                labels,
                null,
                86_400,
                30,
                now,
                now,
                null,
                false,
                null,
                List.of(),
                List.of(),
                "");
    }

    public CreateWorkspace {
        requireNonNull(requestId, "requestId");
        requireNonNull(fingerprint, "fingerprint");
        requireNonNull(envelope, "envelope");
        labels = Map.copyOf(labels);
    }
}
