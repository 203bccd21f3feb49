package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.steps.AgentSteps;
import dev.spinup.controlplane.store.Tx;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * RESIZE (active or suspended, state unchanged): the new envelope is reserved on the workspace's
 * host when the call is accepted — refused with HOST_LACKS_ROOM when it does not fit — then the
 * host records it, to take effect at the workspace's next start. If the host refuses, the old
 * envelope is put back and the operation ends ROLLED_BACK.
 */
public final class ResizeWorkspaceJob implements OperationJob {
    private final Placement placement;
    private final Plan plan;

    public ResizeWorkspaceJob(AgentSteps agent, Placement placement) {
        this.placement = placement;
        this.plan = Plan.builder()
                .step(agent.resize("resize"), Step.local("restore_envelope", ctx -> {
                    Map<String, String> p = ctx.operation().params();
                    ctx.tx()
                            .workspaces()
                            .setEnvelope(
                                    ctx.workspace().id(),
                                    Flavor.fromWire(p.get("old_flavor")),
                                    envelope(p, "old_"),
                                    ctx.now());
                }))
                .build();
    }

    public static Map<String, String> request(Flavor flavor, Envelope envelope) {
        return Map.of(
                "flavor",
                flavor.wire(),
                "vcpu",
                Integer.toString(envelope.vcpu()),
                "ram_gb",
                Integer.toString(envelope.ramGb()),
                "disk_gb",
                Integer.toString(envelope.diskGb()));
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.RESIZE;
    }

    @Override
    public Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
        Envelope wanted = envelope(requested, "");
        Envelope room = placement.roomOnHost(tx, workspace.hostId(), workspace.id());
        if (!wanted.fitsIn(room)) {
            throw SpinUpException.failedPrecondition(
                    ErrorReason.HOST_LACKS_ROOM,
                    "host " + workspace.hostId() + " has room for at most " + room.vcpu() + " vCPU / " + room.ramGb()
                            + " GiB RAM / " + room.diskGb() + " GiB disk for this workspace",
                    Map.of(
                            "hostId",
                            workspace.hostId().toString(),
                            "vcpu",
                            Integer.toString(room.vcpu()),
                            "ramGb",
                            Integer.toString(room.ramGb()),
                            "diskGb",
                            Integer.toString(room.diskGb())));
        }
        if (wanted.diskGb() < workspace.envelope().diskGb()) {
            throw SpinUpException.failedPrecondition(
                    ErrorReason.ENVELOPE_INVALID,
                    "disks only grow: the workspace has " + workspace.envelope().diskGb() + " GiB",
                    Map.of());
        }
        Map<String, String> params = new HashMap<>(requested);
        params.put("old_flavor", workspace.flavor().wire());
        params.put("old_vcpu", Integer.toString(workspace.envelope().vcpu()));
        params.put("old_ram_gb", Integer.toString(workspace.envelope().ramGb()));
        params.put("old_disk_gb", Integer.toString(workspace.envelope().diskGb()));
        tx.workspaces().setEnvelope(workspace.id(), Flavor.fromWire(requested.get("flavor")), wanted, now);
        return params;
    }

    @Override
    public Plan plan(Map<String, String> params) {
        return plan;
    }

    private static Envelope envelope(Map<String, String> p, String prefix) {
        return new Envelope(
                Integer.parseInt(p.get(prefix + "vcpu")),
                Integer.parseInt(p.get(prefix + "ram_gb")),
                Integer.parseInt(p.get(prefix + "disk_gb")));
    }
}
