package dev.spinup.controlplane.api;

import com.google.protobuf.Message;
import dev.spinup.api.v1.ArchiveWorkspaceRequest;
import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.DeleteWorkspaceRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.ListWorkspacesRequest;
import dev.spinup.api.v1.ListWorkspacesResponse;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.ResizeWorkspaceRequest;
import dev.spinup.api.v1.RestoreWorkspaceRequest;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.WorkspaceStore;
import dev.spinup.controlplane.transitions.CreateWorkspace;
import dev.spinup.controlplane.transitions.ResizeWorkspaceJob;
import dev.spinup.controlplane.transitions.WorkspaceService;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** The lifecycle RPCs: create, read, and every verb that moves a workspace between states. */
final class LifecycleApi {
    private final Transactions db;
    private final WorkspaceService service;
    private final FlavorCatalog flavors;
    private final Set<ProjectTemplate> offeredTemplates;
    private final String workspaceDomain;
    private final Clock clock;

    LifecycleApi(
            Transactions db,
            WorkspaceService service,
            FlavorCatalog flavors,
            Set<ProjectTemplate> offeredTemplates,
            String workspaceDomain,
            Clock clock) {
        this.db = db;
        this.service = service;
        this.flavors = flavors;
        this.offeredTemplates = Set.copyOf(offeredTemplates);
        this.workspaceDomain = workspaceDomain;
        this.clock = clock;
    }

    Operation create(CreateWorkspaceRequest request) {
        String requestId = Requests.requestId(request.getRequestId());
        Flavor flavor = WorkspaceProtoMapper.fromProto(request.getFlavor());
        Envelope envelope = envelope(flavor, request.hasCustomEnvelope(), request.getCustomEnvelope());
        ProjectTemplate template = WorkspaceProtoMapper.fromProto(request.getTemplate());
        if (!offeredTemplates.contains(template)) {
            throw SpinUpException.invalidField(
                    ErrorReason.UNKNOWN_TEMPLATE,
                    "template",
                    "template " + request.getTemplate() + " is not offered by this installation (offered: "
                            + offeredTemplates + ")");
        }
        CreateWorkspace create = new CreateWorkspace(
                requestId,
                Fingerprints.of(request.toBuilder().clearRequestId().build()),
                Requests.text("external_workspace_id", request.getExternalWorkspaceId(), true, 200),
                Requests.text("external_user_id", request.getExternalUserId(), true, 200),
                Requests.text("display_name", request.getDisplayName(), true, 200),
                Requests.region(request.getRegion()),
                flavor,
                envelope,
                template,
                Requests.labels(request.getLabelsMap()),
                null);
        return WorkspaceProtoMapper.toProto(
                service.create(create, Principal.current().actor()), clock.instant());
    }

    /**
     * A create whose disk comes from a verified snapshot of another workspace (its newest when
     * none is named), with that workspace's region, flavor, envelope and template.
     */
    Operation fork(dev.spinup.api.v1.ForkWorkspaceRequest request) {
        String requestId = Requests.requestId(request.getRequestId());
        UUID sourceId = Requests.id("source_workspace_id", request.getSourceWorkspaceId());
        Workspace source = db.read(tx -> tx.workspaces().find(sourceId))
                .orElseThrow(() -> SpinUpException.workspaceNotFound(sourceId));
        UUID snapshotId = request.getSnapshotId().isEmpty()
                ? db.read(tx -> tx.snapshots().latestVerified(sourceId))
                        .map(dev.spinup.controlplane.core.Snapshot::id)
                        .orElseThrow(() -> SpinUpException.failedPrecondition(
                                ErrorReason.NO_VERIFIED_SNAPSHOT,
                                "workspace " + sourceId + " has no verified snapshot to fork from",
                                Map.of("workspaceId", sourceId.toString())))
                : Requests.id("snapshot_id", request.getSnapshotId());
        CreateWorkspace create = new CreateWorkspace(
                requestId,
                Fingerprints.of(request.toBuilder().clearRequestId().build()),
                Requests.text("external_workspace_id", request.getExternalWorkspaceId(), true, 200),
                Requests.text("external_user_id", request.getExternalUserId(), true, 200),
                Requests.text("display_name", request.getDisplayName(), true, 200),
                source.regionId(),
                source.flavor(),
                source.envelope(),
                source.template(),
                Requests.labels(request.getLabelsMap()),
                new CreateWorkspace.Fork(sourceId, snapshotId));
        return WorkspaceProtoMapper.toProto(
                service.create(create, Principal.current().actor()), clock.instant());
    }

    Operation snapshot(dev.spinup.api.v1.SnapshotWorkspaceRequest request) {
        return transition(
                OperationVerb.SNAPSHOT,
                request.getRequestId(),
                request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(),
                Map.of());
    }

    dev.spinup.api.v1.ListSnapshotsResponse snapshots(dev.spinup.api.v1.ListSnapshotsRequest request) {
        UUID id = Requests.id("workspace_id", request.getWorkspaceId());
        int size = Requests.pageSize(request.getPageSize());
        UUID after = Requests.afterId(request);
        if (db.read(tx -> tx.workspaces().find(id)).isEmpty()) {
            throw SpinUpException.workspaceNotFound(id);
        }
        var page = Requests.page(
                db.read(tx -> tx.snapshots().listed(id, after, size + 1)),
                size,
                dev.spinup.controlplane.core.Snapshot::id,
                request);
        return dev.spinup.api.v1.ListSnapshotsResponse.newBuilder()
                .addAllSnapshots(
                        page.items().stream().map(WorkspaceProtoMapper::toProto).toList())
                .setNextPageToken(page.nextPageToken())
                .build();
    }

    dev.spinup.api.v1.Workspace get(GetWorkspaceRequest request) {
        UUID id = Requests.id("workspace_id", request.getWorkspaceId());
        return toProto(
                db.read(tx -> tx.workspaces().find(id)).orElseThrow(() -> SpinUpException.workspaceNotFound(id)));
    }

    ListWorkspacesResponse list(ListWorkspacesRequest request) {
        int size = Requests.pageSize(request.getPageSize());
        UUID after = Requests.afterId(request);
        var filter = new WorkspaceStore.WorkspaceFilter(
                WorkspaceProtoMapper.fromProto(request.getState()),
                request.getRegion().isEmpty() ? null : Requests.region(request.getRegion()),
                request.getExternalUserId().isEmpty()
                        ? null
                        : Requests.text("external_user_id", request.getExternalUserId(), false, 200));
        var page = Requests.page(
                db.read(tx -> tx.workspaces().list(filter, after, size + 1)), size, Workspace::id, request);
        return ListWorkspacesResponse.newBuilder()
                .addAllWorkspaces(page.items().stream().map(this::toProto).toList())
                .setNextPageToken(page.nextPageToken())
                .build();
    }

    Operation suspend(SuspendWorkspaceRequest request) {
        return transition(
                OperationVerb.SUSPEND,
                request.getRequestId(),
                request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(),
                Map.of());
    }

    Operation archive(ArchiveWorkspaceRequest request) {
        return transition(
                OperationVerb.ARCHIVE,
                request.getRequestId(),
                request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(),
                Map.of());
    }

    Operation restore(RestoreWorkspaceRequest request) {
        return transition(
                OperationVerb.RESTORE,
                request.getRequestId(),
                request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(),
                Map.of());
    }

    Operation resize(ResizeWorkspaceRequest request) {
        Requests.requestId(request.getRequestId());
        Flavor flavor = WorkspaceProtoMapper.fromProto(request.getFlavor());
        Envelope envelope = envelope(flavor, request.hasCustomEnvelope(), request.getCustomEnvelope());
        if (request.getDeployCount() < 0) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID, "deploy_count", "deploy_count must not be negative");
        }
        int ceiling = flavors.maxDeploysOf(flavor);
        if (request.getDeployCount() > ceiling) {
            throw SpinUpException.failedPrecondition(
                    ErrorReason.FLAVOR_CEILING_EXCEEDED,
                    "the workspace has " + request.getDeployCount() + " deploys; flavor " + flavor.wire()
                            + " allows at most " + ceiling,
                    Map.of("maxDeploys", Integer.toString(ceiling), "flavor", flavor.name()));
        }
        return transition(
                OperationVerb.RESIZE,
                request.getRequestId(),
                request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(),
                ResizeWorkspaceJob.request(flavor, envelope));
    }

    Operation delete(DeleteWorkspaceRequest request) {
        return transition(
                OperationVerb.DELETE,
                request.getRequestId(),
                request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(),
                Map.of());
    }

    /** Starts {@code verb}; the request's fingerprint is the request without its request_id. */
    Operation transition(
            OperationVerb verb,
            String requestId,
            Message withoutRequestId,
            String workspaceId,
            Map<String, String> params) {
        var op = service.transition(
                verb,
                Requests.requestId(requestId),
                Fingerprints.of(withoutRequestId),
                Requests.id("workspace_id", workspaceId),
                params,
                Principal.current().actor());
        return WorkspaceProtoMapper.toProto(op, clock.instant());
    }

    private Envelope envelope(Flavor flavor, boolean hasCustom, dev.spinup.api.v1.Envelope custom) {
        if (flavor != Flavor.CUSTOM) {
            if (hasCustom) {
                throw SpinUpException.invalidField(
                        ErrorReason.FIELD_INVALID,
                        "custom_envelope",
                        "custom_envelope is only allowed with flavor FLAVOR_CUSTOM");
            }
            return flavors.envelopeOf(flavor);
        }
        if (!hasCustom) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_REQUIRED, "custom_envelope", "flavor FLAVOR_CUSTOM needs a custom_envelope");
        }
        if (custom.getVcpu() <= 0 || custom.getRamGb() <= 0 || custom.getDiskGb() <= 0) {
            throw SpinUpException.invalidField(
                    ErrorReason.ENVELOPE_INVALID,
                    "custom_envelope",
                    "custom_envelope needs positive vcpu, ram_gb and disk_gb");
        }
        Envelope e = new Envelope(custom.getVcpu(), custom.getRamGb(), custom.getDiskGb());
        String problem = flavors.customEnvelopeProblem(e);
        if (problem != null) {
            throw SpinUpException.invalidField(ErrorReason.ENVELOPE_INVALID, "custom_envelope", problem);
        }
        return e;
    }

    private dev.spinup.api.v1.Workspace toProto(Workspace w) {
        return WorkspaceProtoMapper.toProto(w, flavors.maxDeploysOf(w.flavor())).toBuilder()
                .setHostname(w.id() + "." + workspaceDomain)
                .setIdeHostname(dev.spinup.controlplane.agents.EdgeRoutes.ideHostname(w.id(), workspaceDomain))
                .setAppSharing(
                        w.appPublic()
                                ? dev.spinup.api.v1.Sharing.SHARING_PUBLIC
                                : dev.spinup.api.v1.Sharing.SHARING_PRIVATE)
                .build();
    }
}
