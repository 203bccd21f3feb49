package dev.spinup.controlplane.store;

import dev.spinup.controlplane.core.Snapshot;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The snapshots' records. A row exists before its upload starts ({@link #begin}, state uploading)
 * and is completed by the agent's result ({@link #record}).
 */
public interface SnapshotStore {
    /** Records that snapshot {@code id} is about to be uploaded to {@code objectUri}; a second call keeps the first. */
    void begin(UUID id, UUID workspaceId, String objectUri, String kind, Instant now);

    /** Completes a snapshot the host has uploaded (size, checksum, tool, base); recording it twice keeps the first. */
    void record(Snapshot s);

    Optional<Snapshot> find(UUID id);

    /**
     * The newest snapshot a restore can download whole: verified and in object storage, and, for
     * a differential, its full snapshot too (each link of the chain checked here).
     */
    Optional<Snapshot> latestVerified(UUID workspaceId);

    /** The snapshot, if a restore can download it whole (as {@link #latestVerified} judges it). */
    Optional<Snapshot> restorable(UUID id);

    /** The workspace's uploaded snapshots still in object storage, newest first, before {@code beforeId} (null: from the newest). */
    List<Snapshot> listed(UUID workspaceId, UUID beforeId, int limit);

    /** Periodic snapshots uploaded and still in object storage, newest first. */
    List<Snapshot> periodic(UUID workspaceId);

    void markVerified(UUID id, Instant now);

    void markPurged(UUID id, Instant now);

    void markAllPurged(UUID workspaceId, Instant now);

    /**
     * Which of {@code uris} a snapshot still stands for: not purged, and either uploaded or still
     * uploading under an operation in flight. An object no such row names is an orphan.
     */
    Set<String> referenced(Collection<String> uris);

    /** Rows of objects the sweep deleted: their uploads never completed. */
    void markPurgedByUri(Collection<String> uris, Instant now);
}
