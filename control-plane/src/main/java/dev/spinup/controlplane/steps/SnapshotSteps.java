package dev.spinup.controlplane.steps;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Snapshot;
import dev.spinup.controlplane.core.SnapshotKind;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.engine.StepContext;
import dev.spinup.controlplane.engine.StepOutcome;
import dev.spinup.controlplane.engine.StepTimeouts;
import dev.spinup.controlplane.store.SnapshotObjects;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Steps that move a workspace's disk to and from object storage. The snapshot id is chosen when
 * the operation is accepted (params "snapshot_id"), so a re-run step uploads to the same object,
 * and its row is written before the upload starts, so no object is ever without a record. The
 * steps that talk to object storage themselves (verify, discard, retention, purge) do it with no
 * transaction or lock held ({@link StepOutcome.CallOut}).
 */
public final class SnapshotSteps {
    private final AgentSteps agent;
    private final SnapshotObjects storage;
    private final StepTimeouts timeouts;
    private final MeterRegistry meters;
    private final Counter snapshotVerificationFailures;
    private final Counter snapshotsDiscarded;
    private final Counter snapshotObjectsPurged;

    public SnapshotSteps(AgentSteps agent, SnapshotObjects storage, MeterRegistry meters) {
        this.agent = agent;
        this.storage = storage;
        this.timeouts = agent.timeouts();
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (SnapshotKind kind : SnapshotKind.values()) {
            meters.counter("spinup_snapshot_bytes", "kind", kind.wire());
        }
        this.snapshotVerificationFailures = meters.counter("spinup_snapshot_verification_failures");
        this.snapshotsDiscarded = meters.counter("spinup_snapshots_discarded");
        this.snapshotObjectsPurged = meters.counter("spinup_snapshot_objects_purged");
    }

    public static String objectKey(UUID workspaceId, UUID snapshotId) {
        return workspacePrefix(workspaceId) + "snapshots/" + snapshotId + ".tar.gz";
    }

    /** Every object of the workspace lives under this prefix. */
    public static String workspacePrefix(UUID workspaceId) {
        return "workspaces/" + workspaceId + "/";
    }

    private static UUID snapshotId(StepContext ctx) {
        return UUID.fromString(ctx.operation().params().get("snapshot_id"));
    }

    /**
     * The host archives the workspace's disk and uploads it (to a URL signed when the command is
     * sent); the snapshot is recorded, not yet verified. Its row is written, state uploading, in
     * the same transaction that enqueues the command.
     */
    public Step take(String name, SnapshotKind kind) {
        return take(name, kind, AgentSteps::workspaceHost);
    }

    /** As {@link #take(String, SnapshotKind)}, on the host {@code host} names. */
    public Step take(String name, SnapshotKind kind, java.util.function.Function<StepContext, UUID> host) {
        return agent.onHost(
                name,
                timeouts.snapshot(),
                host,
                ctx -> {
                    UUID snapshotId = snapshotId(ctx);
                    String key = objectKey(ctx.workspace().id(), snapshotId);
                    ctx.tx()
                            .snapshots()
                            .begin(snapshotId, ctx.workspace().id(), storage.uri(key), kind.wire(), ctx.now());
                    String base = ctx.operation().params().get("base_snapshot_id");
                    return new AgentCommand.TakeSnapshot(
                            snapshotId,
                            base == null || base.isEmpty() ? null : UUID.fromString(base),
                            kind,
                            storage.bucket(),
                            key);
                },
                (ctx, result) -> {
                    AgentResult.SnapshotTaken taken = result.snapshotTaken();
                    UUID snapshotId = snapshotId(ctx);
                    ctx.tx()
                            .snapshots()
                            .record(new Snapshot(
                                    snapshotId,
                                    ctx.workspace().id(),
                                    storage.uri(objectKey(ctx.workspace().id(), snapshotId)),
                                    taken.sizeBytes(),
                                    taken.sha256Hex(),
                                    taken.tool(),
                                    kind.wire(),
                                    taken.baseSnapshotId(),
                                    ctx.now(),
                                    null,
                                    null));
                    meters.counter("spinup_snapshot_bytes", "kind", kind.wire()).increment(taken.sizeBytes());
                    return Map.of();
                });
    }

    /**
     * Reads the uploaded object back from object storage and checks its size and SHA-256 against
     * what the host reported. Nothing local is wiped before this step has passed.
     */
    public Step verify(String name) {
        return storageStep(name, ctx -> {
            UUID snapshotId = snapshotId(ctx);
            Snapshot s = ctx.tx().snapshots().find(snapshotId).orElseThrow();
            if (s.verifiedAt() != null) {
                return StepOutcome.done();
            }
            return new StepOutcome.CallOut<>(
                    "object storage to read back snapshot " + snapshotId,
                    () -> storage.read(storage.keyOf(s.objectUri())),
                    (after, stored) -> {
                        if (stored.sizeBytes() != s.sizeBytes()
                                || !stored.sha256Hex().equals(s.sha256Hex())) {
                            snapshotVerificationFailures.increment();
                            return new StepOutcome.Fail(
                                    ErrorReason.SNAPSHOT_VERIFICATION_FAILED,
                                    "snapshot " + snapshotId
                                            + " in object storage does not match what the host uploaded: stored "
                                            + (stored.sizeBytes() < 0
                                                    ? "nothing"
                                                    : stored.sizeBytes() + " bytes, sha256 " + stored.sha256Hex())
                                            + "; expected " + s.sizeBytes() + " bytes, sha256 " + s.sha256Hex()
                                            + ". Local data was kept.");
                        }
                        after.tx().snapshots().markVerified(snapshotId, after.now());
                        return StepOutcome.done();
                    });
        });
    }

    /**
     * Undoes {@link #take}: deletes the operation's snapshot object (uploaded or not, partial or
     * whole) and marks its row purged, so a rolled-back snapshot leaves nothing in storage.
     */
    public Step discard(String name) {
        return storageStep(name, ctx -> {
            UUID snapshotId = snapshotId(ctx);
            var s = ctx.tx().snapshots().find(snapshotId).filter(x -> x.purgedAt() == null);
            if (s.isEmpty()) {
                return StepOutcome.done();
            }
            return new StepOutcome.CallOut<>(
                    "object storage to delete snapshot " + snapshotId,
                    () -> {
                        storage.delete(storage.keyOf(s.get().objectUri()));
                        return true;
                    },
                    (after, deleted) -> {
                        after.tx().snapshots().markPurged(snapshotId, after.now());
                        snapshotsDiscarded.increment();
                        return StepOutcome.done();
                    });
        });
    }

    /**
     * The workspace's host downloads the snapshot (a differential: its full one first), checks
     * each archive's size and SHA-256, then unpacks them in order.
     */
    public Step restore(String name) {
        return agent.onHost(name, timeouts.restore(), ctx -> {
            UUID snapshotId = snapshotId(ctx);
            Snapshot s = ctx.tx().snapshots().find(snapshotId).orElseThrow();
            AgentCommand.Layer base = s.baseId() == null
                    ? null
                    : ctx.tx()
                            .snapshots()
                            .find(s.baseId())
                            .map(b -> new AgentCommand.Layer(
                                    b.id(), storage.keyOf(b.objectUri()), b.sizeBytes(), b.sha256Hex()))
                            .orElseThrow();
            return new AgentCommand.RestoreSnapshot(
                    snapshotId,
                    storage.bucket(),
                    storage.keyOf(s.objectUri()),
                    s.sizeBytes(),
                    s.sha256Hex(),
                    ctx.workspace().envelope(),
                    ctx.workspace().template(),
                    ctx.workspace().displayName(),
                    base);
        });
    }

    /**
     * Keeps the newest {@code snapshot_retention_count} periodic snapshots (and the full ones they
     * are based on) and deletes the older ones from object storage.
     */
    public Step prune(String name) {
        return storageStep(name, ctx -> {
            var periodic = ctx.tx().snapshots().periodic(ctx.workspace().id());
            var kept = periodic.subList(
                    0, Math.min(periodic.size(), ctx.workspace().snapshotRetentionCount()));
            Set<UUID> needed = new HashSet<>();
            kept.forEach(s -> {
                needed.add(s.id());
                if (s.baseId() != null) {
                    needed.add(s.baseId());
                }
            });
            List<Snapshot> old = new ArrayList<>();
            periodic.stream().filter(s -> !needed.contains(s.id())).forEach(old::add);
            if (old.isEmpty()) {
                return StepOutcome.done();
            }
            return new StepOutcome.CallOut<>(
                    "object storage to delete " + old.size() + " old snapshots",
                    () -> {
                        old.forEach(s -> storage.delete(storage.keyOf(s.objectUri())));
                        return true;
                    },
                    (after, deleted) -> {
                        old.forEach(s -> after.tx().snapshots().markPurged(s.id(), after.now()));
                        return StepOutcome.done();
                    });
        });
    }

    /**
     * Deletes every object under the workspace's prefix — also ones without a record — and marks
     * every snapshot of the workspace purged.
     */
    public Step purge(String name) {
        return storageStep(name, ctx -> {
            UUID ws = ctx.workspace().id();
            return new StepOutcome.CallOut<>(
                    "object storage to delete everything under " + workspacePrefix(ws),
                    () -> storage.deletePrefix(workspacePrefix(ws)),
                    (after, deleted) -> {
                        after.tx().snapshots().markAllPurged(ws, after.now());
                        snapshotObjectsPurged.increment(deleted);
                        return StepOutcome.done();
                    });
        });
    }

    /** A step that talks to object storage; all its tries may take the storage timeout. */
    private Step storageStep(String name, Function<StepContext, StepOutcome> body) {
        return Step.of(name, timeouts.storage(), body);
    }
}
