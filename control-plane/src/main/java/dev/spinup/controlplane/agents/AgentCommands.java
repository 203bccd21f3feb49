package dev.spinup.controlplane.agents;

import com.google.protobuf.Timestamp;
import dev.spinup.api.ProtoEnums;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CommandOrBuilder;
import dev.spinup.api.v1.CommandOutcome;
import dev.spinup.api.v1.CommandResult;
import dev.spinup.api.v1.DestroyVm;
import dev.spinup.api.v1.ObjectLocation;
import dev.spinup.api.v1.ProvisionVm;
import dev.spinup.api.v1.ResizeVm;
import dev.spinup.api.v1.RestoreSnapshot;
import dev.spinup.api.v1.StartVm;
import dev.spinup.api.v1.StopVm;
import dev.spinup.api.v1.TakeSnapshot;
import dev.spinup.api.v1.WipeDisk;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.steps.AgentCommand;
import dev.spinup.controlplane.steps.AgentLink;
import dev.spinup.controlplane.steps.AgentResult;
import dev.spinup.controlplane.store.Tx;
import java.util.Optional;
import java.util.UUID;

/**
 * The agent link as steps see it ({@link AgentLink}): their commands encoded for the agent
 * protocol into the outbox, delivered by the sessions once the step's transaction commits, and the
 * agents' results decoded back. Whatever must be fresh when a command goes out (a routing table,
 * presigned URLs) is left empty here and filled in at each send (see {@link CommandRenderer}).
 */
public final class AgentCommands implements AgentLink {
    private final AgentSessions sessions;
    private final CommandOutbox outbox;

    public AgentCommands(AgentSessions sessions, CommandOutbox outbox) {
        this.sessions = sessions;
        this.outbox = outbox;
    }

    @Override
    public void send(Tx tx, UUID hostId, Outgoing command) {
        sessions.enqueue(tx, hostId, encode(command));
    }

    @Override
    public Optional<Sent> find(Tx tx, String commandId) {
        return outbox.find(tx, commandId)
                .map(r -> new Sent(
                        r.commandId(),
                        r.hostId(),
                        describe(r.command()),
                        r.result() == null ? null : decode(r.result()),
                        r.createdAt(),
                        r.sentAt()));
    }

    static Command encode(Outgoing out) {
        Command.Builder b = Command.newBuilder()
                .setCommandId(out.commandId())
                // A routing table pushed outside any operation (new access keys) has neither.
                .setOperationId(
                        out.operationId() == null ? "" : out.operationId().toString())
                .setWorkspaceId(
                        out.workspaceId() == null ? "" : out.workspaceId().toString())
                .setStep(out.step())
                .putAllTraceContext(out.traceContext());
        if (out.deadline() != null) {
            b.setDeadline(Timestamp.newBuilder()
                    .setSeconds(out.deadline().getEpochSecond())
                    .setNanos(out.deadline().getNano()));
        }
        switch (out.command()) {
            case AgentCommand.ProvisionVm c ->
                b.setProvisionVm(ProvisionVm.newBuilder()
                        .setEnvelope(envelope(c.envelope()))
                        .setTemplate(template(c.template()))
                        .setDisplayName(c.displayName()));
            case AgentCommand.StartVm c -> b.setStartVm(StartVm.newBuilder().setEnvelope(envelope(c.envelope())));
            case AgentCommand.StopVm c -> b.setStopVm(StopVm.newBuilder().setGraceSeconds(c.graceSeconds()));
            case AgentCommand.DestroyVm c -> b.setDestroyVm(DestroyVm.getDefaultInstance());
            case AgentCommand.ResizeVm c -> b.setResizeVm(ResizeVm.newBuilder().setEnvelope(envelope(c.envelope())));
            case AgentCommand.WipeDisk c -> b.setWipeDisk(WipeDisk.getDefaultInstance());
            case AgentCommand.TakeSnapshot c ->
                b.setTakeSnapshot(TakeSnapshot.newBuilder()
                        .setSnapshotId(c.snapshotId().toString())
                        .setBaseSnapshotId(
                                c.baseSnapshotId() == null
                                        ? ""
                                        : c.baseSnapshotId().toString())
                        .setKind(
                                switch (c.kind()) {
                                    case PERIODIC -> dev.spinup.api.v1.SnapshotKind.SNAPSHOT_KIND_PERIODIC;
                                    case PRE_ARCHIVE -> dev.spinup.api.v1.SnapshotKind.SNAPSHOT_KIND_PRE_ARCHIVE;
                                    case PRE_MOVE -> dev.spinup.api.v1.SnapshotKind.SNAPSHOT_KIND_PRE_MOVE;
                                })
                        .setTarget(ObjectLocation.newBuilder()
                                .setBucket(c.bucket())
                                .setKey(c.key())));
            case AgentCommand.RestoreSnapshot c -> {
                RestoreSnapshot.Builder restore = RestoreSnapshot.newBuilder()
                        .setSnapshotId(c.snapshotId().toString())
                        .setSource(ObjectLocation.newBuilder()
                                .setBucket(c.bucket())
                                .setKey(c.key()))
                        .setSizeBytes(c.sizeBytes())
                        .setSha256(c.sha256Hex())
                        .setEnvelope(envelope(c.envelope()))
                        .setTemplate(template(c.template()))
                        .setDisplayName(c.displayName());
                if (c.base() != null) {
                    restore.setBase(dev.spinup.api.v1.SnapshotLayer.newBuilder()
                            .setSnapshotId(c.base().snapshotId().toString())
                            .setSource(ObjectLocation.newBuilder()
                                    .setBucket(c.bucket())
                                    .setKey(c.base().key()))
                            .setSizeBytes(c.base().sizeBytes())
                            .setSha256(c.base().sha256Hex()));
                }
                b.setRestoreSnapshot(restore);
            }
            case AgentCommand.ApplyEdgeRoutes c -> b.setApplyEdgeRoutes(EdgeRoutes.toBeRendered());
        }
        return b.build();
    }

    static AgentResult decode(CommandResult r) {
        AgentResult.Detail detail = switch (r.getDetailCase()) {
            case VM_STARTED ->
                new AgentResult.VmStarted(
                        r.getVmStarted().getEndpoint(), r.getVmStarted().getIdeEndpoint());
            case SNAPSHOT_TAKEN ->
                new AgentResult.SnapshotTaken(
                        r.getSnapshotTaken().getSizeBytes(),
                        r.getSnapshotTaken().getSha256(),
                        r.getSnapshotTaken().getTool(),
                        r.getSnapshotTaken().getBaseSnapshotId().isEmpty()
                                ? null
                                : UUID.fromString(r.getSnapshotTaken().getBaseSnapshotId()));
            case DETAIL_NOT_SET -> new AgentResult.NoDetail();
        };
        return new AgentResult(
                r.getOutcome() == CommandOutcome.COMMAND_OUTCOME_SUCCEEDED, r.getErrorCode(), r.getMessage(), detail);
    }

    /** The command's name in messages, as {@link AgentCommand#describe} names it. */
    static String describe(CommandOrBuilder command) {
        return switch (command.getKindCase()) {
            case PROVISION_VM -> "ProvisionVm";
            case START_VM -> "StartVm";
            case STOP_VM -> "StopVm";
            case DESTROY_VM -> "DestroyVm";
            case TAKE_SNAPSHOT -> "TakeSnapshot";
            case RESTORE_SNAPSHOT -> "RestoreSnapshot";
            case WIPE_DISK -> "WipeDisk";
            case RESIZE_VM -> "ResizeVm";
            case APPLY_EDGE_ROUTES -> "ApplyEdgeRoutes";
            case KIND_NOT_SET -> "an empty command";
        };
    }

    private static dev.spinup.api.v1.Envelope envelope(Envelope e) {
        return dev.spinup.api.v1.Envelope.newBuilder()
                .setVcpu(e.vcpu())
                .setRamGb(e.ramGb())
                .setDiskGb(e.diskGb())
                .build();
    }

    private static dev.spinup.api.v1.ProjectTemplate template(ProjectTemplate t) {
        return ProtoEnums.of(dev.spinup.api.v1.ProjectTemplate.class, t);
    }
}
