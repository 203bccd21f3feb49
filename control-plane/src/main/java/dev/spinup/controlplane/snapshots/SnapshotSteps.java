package dev.spinup.controlplane.snapshots;

import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.ErrorReason;
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
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Steps that move a workspace's disk to and from object storage. The snapshot id is chosen when
 * the operation is accepted (params "snapshot_id"), so a re-run step uploads to the same object.
 */
public final class SnapshotSteps {
    private final AgentSteps agent;
    private final ObjectStorage storage;
    private final SnapshotStore snapshots;
    private final StepTimeouts timeouts;
    private final MeterRegistry meters;

    public SnapshotSteps(AgentSteps agent, ObjectStorage storage, SnapshotStore snapshots, MeterRegistry meters) {
        this.agent = agent;
        this.storage = storage;
        this.snapshots = snapshots;
        this.timeouts = agent.timeouts();
        this.meters = meters;
    }

    public static String objectKey(UUID workspaceId, UUID snapshotId) {
        return "workspaces/" + workspaceId + "/snapshots/" + snapshotId + ".tar.gz";
    }

    /** The host archives the workspace's disk and uploads it; the snapshot is recorded, not yet verified. */
    public Step take(String name, SnapshotKind kind) {
        return agent.onHost(name, timeouts.snapshot(), ctx -> ctx.workspace().hostId(), ctx -> {
            UUID snapshotId = UUID.fromString(ctx.operation().params().get("snapshot_id"));
            String key = objectKey(ctx.workspace().id(), snapshotId);
            return Command.newBuilder().setTakeSnapshot(TakeSnapshot.newBuilder()
                    .setSnapshotId(snapshotId.toString())
                    .setBaseSnapshotId(ctx.operation().params().getOrDefault("base_snapshot_id", ""))
                    .setKind(kind)
                    .setTarget(ObjectLocation.newBuilder().setBucket(storage.bucket()).setKey(key)));
        }, (ctx, result) -> {
            SnapshotTaken taken = result.getSnapshotTaken();
            UUID snapshotId = UUID.fromString(ctx.operation().params().get("snapshot_id"));
            snapshots.record(ctx.tx().handle(), new SnapshotStore.Snapshot(snapshotId, ctx.workspace().id(),
                    storage.uri(objectKey(ctx.workspace().id(), snapshotId)), taken.getSizeBytes(), taken.getSha256(),
                    taken.getTool(), kind.name().toLowerCase(Locale.ROOT),
                    taken.getBaseSnapshotId().isEmpty() ? null : UUID.fromString(taken.getBaseSnapshotId()),
                    ctx.now(), null));
            meters.counter("spinup_snapshot_bytes", "kind", kind.name().toLowerCase(Locale.ROOT))
                    .increment(taken.getSizeBytes());
            return Map.of();
        });
    }

    /**
     * Reads the uploaded object back from object storage and checks its size and SHA-256 against
     * what the host reported. Nothing local is wiped before this step has passed.
     */
    public Step verify(String name) {
        return new Step() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public StepOutcome execute(StepContext ctx) {
                UUID snapshotId = UUID.fromString(ctx.operation().params().get("snapshot_id"));
                SnapshotStore.Snapshot s = snapshots.find(ctx.tx().handle(), snapshotId).orElseThrow();
                if (s.verifiedAt() != null) {
                    return StepOutcome.done();
                }
                ObjectStorage.Stored stored = storage.read(storage.keyOf(s.objectUri()));
                if (stored.sizeBytes() != s.sizeBytes() || !stored.sha256Hex().equals(s.sha256Hex())) {
                    meters.counter("spinup_snapshot_verification_failures").increment();
                    return new StepOutcome.Fail(ErrorReason.SNAPSHOT_VERIFICATION_FAILED, "snapshot " + snapshotId
                            + " in object storage does not match what the host uploaded: stored "
                            + (stored.sizeBytes() < 0 ? "nothing" : stored.sizeBytes() + " bytes, sha256 " + stored.sha256Hex())
                            + "; expected " + s.sizeBytes() + " bytes, sha256 " + s.sha256Hex()
                            + ". Local data was kept.");
                }
                snapshots.markVerified(ctx.tx().handle(), snapshotId, ctx.now());
                return StepOutcome.done();
            }
        };
    }

    /** The workspace's host downloads the snapshot, checks size and SHA-256, then unpacks it. */
    public Step restore(String name) {
        return agent.onHost(name, timeouts.restore(), ctx -> ctx.workspace().hostId(), ctx -> {
            UUID snapshotId = UUID.fromString(ctx.operation().params().get("snapshot_id"));
            SnapshotStore.Snapshot s = snapshots.find(ctx.tx().handle(), snapshotId).orElseThrow();
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
        return Step.local(name, ctx -> {
            var periodic = snapshots.periodic(ctx.tx().handle(), ctx.workspace().id());
            var kept = periodic.subList(0, Math.min(periodic.size(), ctx.workspace().snapshotRetentionCount()));
            var needed = new java.util.HashSet<UUID>();
            kept.forEach(s -> {
                needed.add(s.id());
                if (s.baseId() != null) {
                    needed.add(s.baseId());
                }
            });
            for (SnapshotStore.Snapshot s : periodic) {
                if (!needed.contains(s.id())) {
                    storage.delete(storage.keyOf(s.objectUri()));
                    snapshots.markPurged(ctx.tx().handle(), s.id(), ctx.now());
                }
            }
        });
    }

    /** Deletes every snapshot object of the workspace (deleting is idempotent). */
    public Step purge(String name) {
        return Step.local(name, ctx -> {
            for (SnapshotStore.Snapshot s : snapshots.unpurged(ctx.tx().handle(), ctx.workspace().id())) {
                storage.delete(storage.keyOf(s.objectUri()));
                snapshots.markPurged(ctx.tx().handle(), s.id(), ctx.now());
            }
        });
    }
}
