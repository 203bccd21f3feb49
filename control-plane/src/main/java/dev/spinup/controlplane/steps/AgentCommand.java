package dev.spinup.controlplane.steps;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.core.SnapshotKind;
import java.util.UUID;

/** What a step has a host agent do; the agent link encodes it for the wire. */
public sealed interface AgentCommand {
    record ProvisionVm(Envelope envelope, ProjectTemplate template, String displayName) implements AgentCommand {}

    /** Result: where the app answers ({@link AgentResult.VmStarted}). */
    record StartVm(Envelope envelope) implements AgentCommand {}

    record StopVm(int graceSeconds) implements AgentCommand {}

    record DestroyVm() implements AgentCommand {}

    /** Takes effect at the next start. */
    record ResizeVm(Envelope envelope) implements AgentCommand {}

    /** Removes the workspace's local data (after a verified snapshot). */
    record WipeDisk() implements AgentCommand {}

    /**
     * Archives the disk and uploads it to {@code key} (to a URL signed when the command is sent).
     * {@code baseSnapshotId}: a differential against that full snapshot if the host can; null for a
     * full one. Result: {@link AgentResult.SnapshotTaken}.
     */
    record TakeSnapshot(UUID snapshotId, UUID baseSnapshotId, SnapshotKind kind, String bucket, String key)
            implements AgentCommand {}

    /**
     * Downloads {@code key}, checks its size and SHA-256, and unpacks it; does not start the
     * workspace. A differential names its full snapshot ({@code base}, else null): that one is
     * downloaded, checked and unpacked first.
     */
    record RestoreSnapshot(
            UUID snapshotId,
            String bucket,
            String key,
            long sizeBytes,
            String sha256Hex,
            Envelope envelope,
            ProjectTemplate template,
            String displayName,
            Layer base)
            implements AgentCommand {}

    /** One archive of a snapshot chain, in the command's bucket. */
    record Layer(UUID snapshotId, String key, long sizeBytes, String sha256Hex) {}

    /** The host's whole routing table, derived from committed state when the command is sent. */
    record ApplyEdgeRoutes() implements AgentCommand {}

    /** Its name in messages ("could not StopVm"). */
    default String describe() {
        return getClass().getSimpleName();
    }
}
