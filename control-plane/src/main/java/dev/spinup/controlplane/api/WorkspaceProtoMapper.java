package dev.spinup.controlplane.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.spinup.api.ProtoEnums;
import dev.spinup.api.v1.OperationError;
import dev.spinup.api.v1.OperationStep;
import dev.spinup.api.v1.StepStatus;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.StepState;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import java.time.Instant;

/** Domain records to and from proto messages. */
public final class WorkspaceProtoMapper {
    private WorkspaceProtoMapper() {}

    public static dev.spinup.api.v1.Workspace toProto(Workspace w, int maxDeploys) {
        var b = dev.spinup.api.v1.Workspace.newBuilder()
                .setMaxDeploys(maxDeploys)
                .setId(w.id().toString())
                .setExternalWorkspaceId(w.externalWorkspaceId())
                .setExternalUserId(w.externalUserId())
                .setDisplayName(w.displayName())
                .setRegion(w.regionId())
                .setFlavor(toProto(w.flavor()))
                .setEnvelope(toProto(w.envelope()))
                .setState(toProto(w.state()))
                .setTemplate(ProtoEnums.of(dev.spinup.api.v1.ProjectTemplate.class, w.template()))
                .putAllLabels(w.labels())
                .setSnapshotInterval(Duration.newBuilder().setSeconds(w.snapshotIntervalSeconds()))
                .setSnapshotRetentionCount(w.snapshotRetentionCount())
                .setCreatedAt(timestamp(w.createdAt()))
                .setUpdatedAt(timestamp(w.updatedAt()));
        if (w.hostId() != null) {
            b.setHostId(w.hostId().toString());
        }
        if (w.currentOperationId() != null) {
            b.setCurrentOperationId(w.currentOperationId().toString());
        }
        if (w.endpoint() != null && w.state() == WorkspaceState.ACTIVE) {
            b.setUrl(w.endpoint());
        }
        if (w.lastActiveAt() != null) {
            b.setLastActiveAt(timestamp(w.lastActiveAt()));
        }
        if (w.state() == WorkspaceState.ACTIVE) {
            b.addAllPreviewPorts(w.previewPorts());
        }
        if (Workspace.NO_SNAPSHOT.equals(w.stateReason())) {
            b.setStateReason(dev.spinup.api.v1.ErrorReason.ERROR_REASON_NO_SNAPSHOT);
        }
        return b.addAllPublicPorts(w.publicPorts()).build();
    }

    public static dev.spinup.api.v1.Snapshot toProto(dev.spinup.controlplane.core.Snapshot s) {
        var b = dev.spinup.api.v1.Snapshot.newBuilder()
                .setId(s.id().toString())
                .setWorkspaceId(s.workspaceId().toString())
                .setKind(ProtoEnums.of(
                        dev.spinup.api.v1.SnapshotKind.class,
                        dev.spinup.controlplane.core.SnapshotKind.valueOf(
                                s.kind().toUpperCase(java.util.Locale.ROOT))))
                .setCreatedAt(timestamp(s.createdAt()))
                .setSizeBytes(s.sizeBytes())
                .setSha256(s.sha256Hex() == null ? "" : s.sha256Hex());
        if (s.verifiedAt() != null) {
            b.setVerifiedAt(timestamp(s.verifiedAt()));
        }
        if (s.baseId() != null) {
            b.setBaseSnapshotId(s.baseId().toString());
        }
        return b.build();
    }

    public static dev.spinup.api.v1.Operation toProto(Operation op, Instant now, java.util.Optional<Instant> estimate) {
        var proto = toProto(op, now);
        return estimate.map(e ->
                        proto.toBuilder().setEstimatedCompletionAt(timestamp(e)).build())
                .orElse(proto);
    }

    public static dev.spinup.api.v1.Operation toProto(Operation op, Instant now) {
        var b = dev.spinup.api.v1.Operation.newBuilder()
                .setId(op.id().toString())
                .setWorkspaceId(op.workspaceId().toString())
                .setVerb(ProtoEnums.of(dev.spinup.api.v1.OperationVerb.class, op.verb()))
                .setStatus(ProtoEnums.of(dev.spinup.api.v1.OperationStatus.class, op.status()))
                .setRequestId(op.requestId())
                .setActor(op.actor())
                .setRequestedAt(timestamp(op.requestedAt()));
        if (op.startedAt() != null) {
            b.setStartedAt(timestamp(op.startedAt()));
        }
        if (op.completedAt() != null) {
            b.setCompletedAt(timestamp(op.completedAt()));
        }
        for (StepState.StepRecord step : op.stepState().steps()) {
            b.addSteps(toProto(step, now));
        }
        String recoveryPoint = op.params().get(Operation.RECOVERY_POINT);
        if (recoveryPoint != null) {
            b.setRecoveryPoint(timestamp(Instant.parse(recoveryPoint)));
        }
        if (op.errorReason() != null) {
            b.setError(OperationError.newBuilder()
                    .setReason(reason(op.errorReason()))
                    .setMessage(op.errorMessage() == null ? "" : op.errorMessage()));
        }
        return b.build();
    }

    private static OperationStep toProto(StepState.StepRecord step, Instant now) {
        String name = step.phase() == StepState.Phase.ROLLBACK ? "rollback:" + step.name() : step.name();
        boolean retrying = step.status() == StepState.Status.PENDING && step.notBefore() != null;
        var b = OperationStep.newBuilder()
                .setName(name)
                .setStatus(
                        switch (step.status()) {
                            case PENDING -> retrying ? StepStatus.STEP_STATUS_RUNNING : StepStatus.STEP_STATUS_PENDING;
                            case RUNNING -> StepStatus.STEP_STATUS_RUNNING;
                            case DONE -> StepStatus.STEP_STATUS_DONE;
                            case FAILED -> StepStatus.STEP_STATUS_FAILED;
                            case SKIPPED -> StepStatus.STEP_STATUS_SKIPPED;
                        })
                .setAttempts(step.attempts());
        if (step.startedAt() != null) {
            b.setStartedAt(timestamp(step.startedAt()));
        }
        if (step.completedAt() != null) {
            b.setCompletedAt(timestamp(step.completedAt()));
        }
        if (step.deadline() != null && step.status() == StepState.Status.RUNNING) {
            b.setDeadline(timestamp(step.deadline()));
        }
        if (step.waitingOn() != null && step.status() == StepState.Status.RUNNING) {
            long ago = Math.max(
                    0, java.time.Duration.between(step.waitingSince(), now).toSeconds());
            b.setWaitingOn("waiting for " + step.waitingOn() + " (for " + ago + "s)");
        }
        if (retrying) {
            // past the verb's point of no return: it is tried again until its deadline
            long in = Math.max(
                    0, java.time.Duration.between(now, step.notBefore()).toSeconds());
            b.setWaitingOn("waiting for " + step.waitingOn() + " in " + in + "s");
            if (step.deadline() != null) {
                b.setDeadline(timestamp(step.deadline()));
            }
        }
        if (step.error() != null) {
            b.setError(step.error());
        }
        return b.build();
    }

    private static dev.spinup.api.v1.ErrorReason reason(String name) {
        try {
            return ProtoEnums.of(dev.spinup.api.v1.ErrorReason.class, name);
        } catch (IllegalArgumentException e) {
            return dev.spinup.api.v1.ErrorReason.ERROR_REASON_INTERNAL_ERROR;
        }
    }

    public static dev.spinup.api.v1.Envelope toProto(Envelope e) {
        return dev.spinup.api.v1.Envelope.newBuilder()
                .setVcpu(e.vcpu())
                .setRamGb(e.ramGb())
                .setDiskGb(e.diskGb())
                .build();
    }

    public static dev.spinup.api.v1.Flavor toProto(Flavor f) {
        return ProtoEnums.of(dev.spinup.api.v1.Flavor.class, f);
    }

    public static dev.spinup.api.v1.WorkspaceState toProto(WorkspaceState s) {
        return ProtoEnums.of(dev.spinup.api.v1.WorkspaceState.class, s);
    }

    /** Empty when the caller sent UNSPECIFIED (no filter). */
    public static WorkspaceState fromProto(dev.spinup.api.v1.WorkspaceState s) {
        return switch (s) {
            case WORKSPACE_STATE_UNSPECIFIED -> null;
            case WORKSPACE_STATE_ACTIVE -> WorkspaceState.ACTIVE;
            case WORKSPACE_STATE_SUSPENDED -> WorkspaceState.SUSPENDED;
            case WORKSPACE_STATE_ARCHIVED -> WorkspaceState.ARCHIVED;
            case WORKSPACE_STATE_DELETED -> WorkspaceState.DELETED;
            case UNRECOGNIZED ->
                throw SpinUpException.invalidField(
                        ErrorReason.FIELD_INVALID, "state", "state is not a known WorkspaceState");
        };
    }

    public static Flavor fromProto(dev.spinup.api.v1.Flavor f) {
        return switch (f) {
            case FLAVOR_HOBBY -> Flavor.HOBBY;
            case FLAVOR_PRO -> Flavor.PRO;
            case FLAVOR_TEAM -> Flavor.TEAM;
            case FLAVOR_CUSTOM -> Flavor.CUSTOM;
            case FLAVOR_UNSPECIFIED, UNRECOGNIZED ->
                throw SpinUpException.invalidField(
                        ErrorReason.UNKNOWN_FLAVOR,
                        "flavor",
                        "flavor must be FLAVOR_HOBBY, FLAVOR_PRO, FLAVOR_TEAM or FLAVOR_CUSTOM");
        };
    }

    public static ProjectTemplate fromProto(dev.spinup.api.v1.ProjectTemplate t) {
        return switch (t) {
            case PROJECT_TEMPLATE_UNSPECIFIED, PROJECT_TEMPLATE_STARTER -> ProjectTemplate.STARTER;
            case PROJECT_TEMPLATE_NEXTJS -> ProjectTemplate.NEXTJS;
            case PROJECT_TEMPLATE_REACT -> ProjectTemplate.REACT;
            case PROJECT_TEMPLATE_REACT_NATIVE_WEB -> ProjectTemplate.REACT_NATIVE_WEB;
            case UNRECOGNIZED ->
                throw SpinUpException.invalidField(
                        ErrorReason.UNKNOWN_TEMPLATE, "template", "template is not a known ProjectTemplate");
        };
    }

    public static Timestamp timestamp(Instant i) {
        return Timestamp.newBuilder()
                .setSeconds(i.getEpochSecond())
                .setNanos(i.getNano())
                .build();
    }
}
