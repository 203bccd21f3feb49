package dev.spinup.controlplane.snapshots;

import dev.spinup.controlplane.core.Snapshot;
import dev.spinup.api.v1.Command;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.api.v1.ObjectLocation;
import dev.spinup.api.v1.RestoreSnapshot;
import dev.spinup.api.v1.SnapshotKind;
import dev.spinup.api.v1.SnapshotTaken;
import dev.spinup.api.v1.TakeSnapshot;
import dev.spinup.controlplane.agents.AgentSteps;
import dev.spinup.controlplane.operations.Step;
import dev.spinup.controlplane.operations.StepContext;
import dev.spinup.controlplane.operations.StepOutcome;
import dev.spinup.controlplane.operations.StepTimeouts;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
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
    private final ObjectStorage storage;
    private final StepTimeouts timeouts;
    private final MeterRegistry meters;

    public SnapshotSteps(AgentSteps agent, ObjectStorage storage, MeterRegistry meters) {
        this.agent = agent;
        this.storage = storage;
        this.timeouts = agent.timeouts();
        this.meters = meters;
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
        String kindName = kind.name().toLowerCase(Locale.ROOT);
        return agent.onHost(name, timeouts.snapshot(), ctx -> ctx.workspace().hostId(), ctx -> {
            UUID snapshotId = snapshotId(ctx);
            String key = objectKey(ctx.workspace().id(), snapshotId);
            ctx.tx().snapshots().begin(snapshotId, ctx.workspace().id(), storage.uri(key), kindName, ctx.now());
            return Command.newBuilder().setTakeSnapshot(TakeSnapshot.newBuilder()
                    .setSnapshotId(snapshotId.toString())
                    .setBaseSnapshotId(ctx.operation().params().getOrDefault("base_snapshot_id", ""))
                    .setKind(kind)
                    .setTarget(ObjectLocation.newBuilder().setBucket(storage.bucket()).setKey(key)));
        }, (ctx, result) -> {
            SnapshotTaken taken = result.getSnapshotTaken();
            UUID snapshotId = snapshotId(ctx);
            ctx.tx().snapshots().record(new Snapshot(snapshotId, ctx.workspace().id(),
                    storage.uri(objectKey(ctx.workspace().id(), snapshotId)), taken.getSizeBytes(), taken.getSha256(),
                    taken.getTool(), kindName,
                    taken.getBaseSnapshotId().isEmpty() ? null : UUID.fromString(taken.getBaseSnapshotId()),
                    ctx.now(), null, null));
            meters.counter("spinup_snapshot_bytes", "kind", kindName).increment(taken.getSizeBytes());
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
            return new StepOutcome.CallOut<>("object storage to read back snapshot " + snapshotId,
                    () -> storage.read(storage.keyOf(s.objectUri())), (after, stored) -> {
                        if (stored.sizeBytes() != s.sizeBytes() || !stored.sha256Hex().equals(s.sha256Hex())) {
                            meters.counter("spinup_snapshot_verification_failures").increment();
                            return new StepOutcome.Fail(ErrorReason.SNAPSHOT_VERIFICATION_FAILED, "snapshot " + snapshotId
                                    + " in object storage does not match what the host uploaded: stored "
                                    + (stored.sizeBytes() < 0 ? "nothing"
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
            return new StepOutcome.CallOut<>("object storage to delete snapshot " + snapshotId, () -> {
                storage.delete(storage.keyOf(s.get().objectUri()));
                return true;
            }, (after, deleted) -> {
                after.tx().snapshots().markPurged(snapshotId, after.now());
                meters.counter("spinup_snapshots_discarded").increment();
                return StepOutcome.done();
            });
        });
    }

    /** The workspace's host downloads the snapshot, checks size and SHA-256, then unpacks it. */
    public Step restore(String name) {
        return agent.onHost(name, timeouts.restore(), ctx -> ctx.workspace().hostId(), ctx -> {
            UUID snapshotId = snapshotId(ctx);
            Snapshot s = ctx.tx().snapshots().find(snapshotId).orElseThrow();
            String key = storage.keyOf(s.objectUri());
            return Command.newBuilder().setRestoreSnapshot(RestoreSnapshot.newBuilder()
                    .setSnapshotId(snapshotId.toString())
                    .setSource(ObjectLocation.newBuilder().setBucket(storage.bucket()).setKey(key))
                    .setSizeBytes(s.sizeBytes())
                    .setSha256(s.sha256Hex())
                    .setEnvelope(dev.spinup.api.v1.Envelope.newBuilder().setVcpu(ctx.workspace().envelope().vcpu())
                            .setRamGb(ctx.workspace().envelope().ramGb()).setDiskGb(ctx.workspace().envelope().diskGb()))
                    .setTemplate(dev.spinup.api.v1.ProjectTemplate.valueOf(ctx.workspace().template().name()))
                    .setDisplayName(ctx.workspace().displayName()));
        });
    }

    /**
     * Keeps the newest {@code snapshot_retention_count} periodic snapshots (and the full ones they
     * are based on) and deletes the older ones from object storage.
     */
    public Step prune(String name) {
        return storageStep(name, ctx -> {
            var periodic = ctx.tx().snapshots().periodic(ctx.workspace().id());
            var kept = periodic.subList(0, Math.min(periodic.size(), ctx.workspace().snapshotRetentionCount()));
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
            return new StepOutcome.CallOut<>("object storage to delete " + old.size() + " old snapshots", () -> {
                old.forEach(s -> storage.delete(storage.keyOf(s.objectUri())));
                return true;
            }, (after, deleted) -> {
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
            return new StepOutcome.CallOut<>("object storage to delete everything under " + workspacePrefix(ws),
                    () -> storage.deletePrefix(workspacePrefix(ws)), (after, deleted) -> {
                        after.tx().snapshots().markAllPurged(ws, after.now());
                        meters.counter("spinup_snapshot_objects_purged").increment(deleted);
                        return StepOutcome.done();
                    });
        });
    }

    /** A step that talks to object storage; all its tries may take the storage timeout. */
    private Step storageStep(String name, Function<StepContext, StepOutcome> body) {
        return Step.of(name, timeouts.storage(), body);
    }
}
