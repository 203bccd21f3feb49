package dev.spinup.controlplane.api;

import dev.spinup.api.v1.AddDomainRequest;
import dev.spinup.api.v1.AddDomainResponse;
import dev.spinup.api.v1.ArchiveWorkspaceRequest;
import dev.spinup.api.v1.ArchiveWorkspaceResponse;
import dev.spinup.api.v1.CreateAccessGrantRequest;
import dev.spinup.api.v1.CreateAccessGrantResponse;
import dev.spinup.api.v1.CreateApiTokenRequest;
import dev.spinup.api.v1.CreateApiTokenResponse;
import dev.spinup.api.v1.CreateEnrollmentTokenRequest;
import dev.spinup.api.v1.CreateEnrollmentTokenResponse;
import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.CreateWorkspaceResponse;
import dev.spinup.api.v1.DeleteWorkspaceRequest;
import dev.spinup.api.v1.DeleteWorkspaceResponse;
import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.api.v1.DrainHostResponse;
import dev.spinup.api.v1.GetHostRequest;
import dev.spinup.api.v1.GetHostResponse;
import dev.spinup.api.v1.GetOperationDurationsRequest;
import dev.spinup.api.v1.GetOperationDurationsResponse;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.GetOperationResponse;
import dev.spinup.api.v1.GetRegionRequest;
import dev.spinup.api.v1.GetRegionResponse;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.GetWorkspaceResponse;
import dev.spinup.api.v1.ListApiTokensRequest;
import dev.spinup.api.v1.ListApiTokensResponse;
import dev.spinup.api.v1.ListDomainsRequest;
import dev.spinup.api.v1.ListDomainsResponse;
import dev.spinup.api.v1.ListHostsRequest;
import dev.spinup.api.v1.ListHostsResponse;
import dev.spinup.api.v1.ListOperationsRequest;
import dev.spinup.api.v1.ListOperationsResponse;
import dev.spinup.api.v1.ListOrphansRequest;
import dev.spinup.api.v1.ListOrphansResponse;
import dev.spinup.api.v1.ListRegionsRequest;
import dev.spinup.api.v1.ListRegionsResponse;
import dev.spinup.api.v1.ListWorkspacesRequest;
import dev.spinup.api.v1.ListWorkspacesResponse;
import dev.spinup.api.v1.RemoveDomainRequest;
import dev.spinup.api.v1.RemoveDomainResponse;
import dev.spinup.api.v1.ResizeWorkspaceRequest;
import dev.spinup.api.v1.ResizeWorkspaceResponse;
import dev.spinup.api.v1.RestoreWorkspaceRequest;
import dev.spinup.api.v1.RestoreWorkspaceResponse;
import dev.spinup.api.v1.RevokeApiTokenRequest;
import dev.spinup.api.v1.RevokeApiTokenResponse;
import dev.spinup.api.v1.SetRegionCapacityRequest;
import dev.spinup.api.v1.SetRegionCapacityResponse;
import dev.spinup.api.v1.SetSharingRequest;
import dev.spinup.api.v1.SetSharingResponse;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.api.v1.SuspendWorkspaceResponse;
import dev.spinup.api.v1.UndrainHostRequest;
import dev.spinup.api.v1.UndrainHostResponse;
import dev.spinup.api.v1.WorkspaceServiceGrpc;
import dev.spinup.controlplane.auth.ApiTokens;
import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.engine.OperationDurations;
import dev.spinup.controlplane.fleet.AccessKeys;
import dev.spinup.controlplane.fleet.Enrollment;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.transitions.WorkspaceService;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The gRPC edge of WorkspaceService, one service as the API defines it. Each RPC is answered by
 * the delegate for its area: lifecycle, domains, operations, fleet. They validate, map proto to
 * the model and back, and call the transitions; errors leave as SpinUpExceptions, which the
 * interceptors turn into statuses.
 */
public final class WorkspaceGrpcService extends WorkspaceServiceGrpc.WorkspaceServiceImplBase {
    private final LifecycleApi lifecycle;
    private final DomainApi domains;
    private final AccessApi access;
    private final OperationApi operations;
    private final FleetApi fleet;
    private final TokenApi tokens;
    private final RegionApi regions;

    public WorkspaceGrpcService(
            Transactions db,
            WorkspaceService service,
            FlavorCatalog flavors,
            Set<ProjectTemplate> offeredTemplates,
            OperationDurations durations,
            Duration heartbeatLease,
            Enrollment enrollment,
            String workspaceDomain,
            AccessKeys accessKeys,
            String edgeScheme,
            ApiTokens apiTokens,
            dev.spinup.controlplane.transitions.HostLoss hostLoss,
            dev.spinup.controlplane.transitions.Evacuation evacuation,
            Clock clock) {
        this.lifecycle = new LifecycleApi(db, service, flavors, offeredTemplates, workspaceDomain, clock);
        this.access = new AccessApi(db, accessKeys, lifecycle, workspaceDomain, edgeScheme, clock);
        this.domains = new DomainApi(db, lifecycle, workspaceDomain);
        this.operations = new OperationApi(db, durations, clock);
        this.fleet = new FleetApi(db, enrollment, hostLoss, evacuation, heartbeatLease, clock);
        this.tokens = new TokenApi(db, apiTokens, clock);
        this.regions = new RegionApi(db, flavors, clock);
    }

    @Override
    public void createWorkspace(CreateWorkspaceRequest request, StreamObserver<CreateWorkspaceResponse> out) {
        reply(
                out,
                () -> CreateWorkspaceResponse.newBuilder()
                        .setOperation(lifecycle.create(request))
                        .build());
    }

    @Override
    public void getWorkspace(GetWorkspaceRequest request, StreamObserver<GetWorkspaceResponse> out) {
        reply(
                out,
                () -> GetWorkspaceResponse.newBuilder()
                        .setWorkspace(lifecycle.get(request))
                        .build());
    }

    @Override
    public void listWorkspaces(ListWorkspacesRequest request, StreamObserver<ListWorkspacesResponse> out) {
        reply(out, () -> lifecycle.list(request));
    }

    @Override
    public void suspendWorkspace(SuspendWorkspaceRequest request, StreamObserver<SuspendWorkspaceResponse> out) {
        reply(
                out,
                () -> SuspendWorkspaceResponse.newBuilder()
                        .setOperation(lifecycle.suspend(request))
                        .build());
    }

    @Override
    public void archiveWorkspace(ArchiveWorkspaceRequest request, StreamObserver<ArchiveWorkspaceResponse> out) {
        reply(
                out,
                () -> ArchiveWorkspaceResponse.newBuilder()
                        .setOperation(lifecycle.archive(request))
                        .build());
    }

    @Override
    public void restoreWorkspace(RestoreWorkspaceRequest request, StreamObserver<RestoreWorkspaceResponse> out) {
        reply(
                out,
                () -> RestoreWorkspaceResponse.newBuilder()
                        .setOperation(lifecycle.restore(request))
                        .build());
    }

    @Override
    public void listSnapshots(
            dev.spinup.api.v1.ListSnapshotsRequest request,
            StreamObserver<dev.spinup.api.v1.ListSnapshotsResponse> out) {
        reply(out, () -> lifecycle.snapshots(request));
    }

    @Override
    public void snapshotWorkspace(
            dev.spinup.api.v1.SnapshotWorkspaceRequest request,
            StreamObserver<dev.spinup.api.v1.SnapshotWorkspaceResponse> out) {
        reply(
                out,
                () -> dev.spinup.api.v1.SnapshotWorkspaceResponse.newBuilder()
                        .setOperation(lifecycle.snapshot(request))
                        .build());
    }

    @Override
    public void forkWorkspace(
            dev.spinup.api.v1.ForkWorkspaceRequest request,
            StreamObserver<dev.spinup.api.v1.ForkWorkspaceResponse> out) {
        reply(
                out,
                () -> dev.spinup.api.v1.ForkWorkspaceResponse.newBuilder()
                        .setOperation(lifecycle.fork(request))
                        .build());
    }

    @Override
    public void resizeWorkspace(ResizeWorkspaceRequest request, StreamObserver<ResizeWorkspaceResponse> out) {
        reply(
                out,
                () -> ResizeWorkspaceResponse.newBuilder()
                        .setOperation(lifecycle.resize(request))
                        .build());
    }

    @Override
    public void deleteWorkspace(DeleteWorkspaceRequest request, StreamObserver<DeleteWorkspaceResponse> out) {
        reply(
                out,
                () -> DeleteWorkspaceResponse.newBuilder()
                        .setOperation(lifecycle.delete(request))
                        .build());
    }

    @Override
    public void addDomain(AddDomainRequest request, StreamObserver<AddDomainResponse> out) {
        reply(
                out,
                () -> AddDomainResponse.newBuilder()
                        .setOperation(domains.add(request))
                        .build());
    }

    @Override
    public void removeDomain(RemoveDomainRequest request, StreamObserver<RemoveDomainResponse> out) {
        reply(
                out,
                () -> RemoveDomainResponse.newBuilder()
                        .setOperation(domains.remove(request))
                        .build());
    }

    @Override
    public void listDomains(ListDomainsRequest request, StreamObserver<ListDomainsResponse> out) {
        reply(out, () -> domains.list(request));
    }

    @Override
    public void createAccessGrant(CreateAccessGrantRequest request, StreamObserver<CreateAccessGrantResponse> out) {
        reply(
                out,
                () -> CreateAccessGrantResponse.newBuilder()
                        .setAccessGrant(access.create(request))
                        .build());
    }

    @Override
    public void setSharing(SetSharingRequest request, StreamObserver<SetSharingResponse> out) {
        reply(
                out,
                () -> SetSharingResponse.newBuilder()
                        .setOperation(access.setSharing(request))
                        .build());
    }

    @Override
    public void getOperation(GetOperationRequest request, StreamObserver<GetOperationResponse> out) {
        reply(
                out,
                () -> GetOperationResponse.newBuilder()
                        .setOperation(operations.get(request))
                        .build());
    }

    @Override
    public void listOperations(ListOperationsRequest request, StreamObserver<ListOperationsResponse> out) {
        reply(out, () -> operations.list(request));
    }

    @Override
    public void getOperationDurations(
            GetOperationDurationsRequest request, StreamObserver<GetOperationDurationsResponse> out) {
        reply(out, operations::durations);
    }

    @Override
    public void listRegions(ListRegionsRequest request, StreamObserver<ListRegionsResponse> out) {
        reply(out, () -> fleet.regions(request));
    }

    @Override
    public void getRegion(GetRegionRequest request, StreamObserver<GetRegionResponse> out) {
        reply(
                out,
                () -> GetRegionResponse.newBuilder()
                        .setRegion(regions.get(request))
                        .build());
    }

    @Override
    public void setRegionCapacity(SetRegionCapacityRequest request, StreamObserver<SetRegionCapacityResponse> out) {
        reply(
                out,
                () -> SetRegionCapacityResponse.newBuilder()
                        .setRegion(regions.setCapacity(request))
                        .build());
    }

    @Override
    public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> out) {
        reply(out, () -> fleet.hosts(request));
    }

    @Override
    public void getHost(GetHostRequest request, StreamObserver<GetHostResponse> out) {
        reply(
                out,
                () -> GetHostResponse.newBuilder().setHost(fleet.host(request)).build());
    }

    @Override
    public void drainHost(DrainHostRequest request, StreamObserver<DrainHostResponse> out) {
        reply(
                out,
                () -> DrainHostResponse.newBuilder()
                        .setHost(fleet.drain(request))
                        .build());
    }

    @Override
    public void undrainHost(UndrainHostRequest request, StreamObserver<UndrainHostResponse> out) {
        reply(
                out,
                () -> UndrainHostResponse.newBuilder()
                        .setHost(fleet.undrain(request))
                        .build());
    }

    @Override
    public void declareHostLost(
            dev.spinup.api.v1.DeclareHostLostRequest request,
            StreamObserver<dev.spinup.api.v1.DeclareHostLostResponse> out) {
        reply(
                out,
                () -> dev.spinup.api.v1.DeclareHostLostResponse.newBuilder()
                        .setHost(fleet.declareLost(request))
                        .build());
    }

    @Override
    public void evacuateHost(
            dev.spinup.api.v1.EvacuateHostRequest request, StreamObserver<dev.spinup.api.v1.EvacuateHostResponse> out) {
        reply(out, () -> fleet.evacuate(request));
    }

    @Override
    public void createEnrollmentToken(
            CreateEnrollmentTokenRequest request, StreamObserver<CreateEnrollmentTokenResponse> out) {
        reply(out, () -> fleet.enrollmentToken(request));
    }

    @Override
    public void listOrphans(ListOrphansRequest request, StreamObserver<ListOrphansResponse> out) {
        reply(out, () -> fleet.orphans(request));
    }

    private static <T> void reply(StreamObserver<T> out, Supplier<T> answer) {
        out.onNext(answer.get());
        out.onCompleted();
    }

    @Override
    public void createApiToken(CreateApiTokenRequest request, StreamObserver<CreateApiTokenResponse> out) {
        reply(out, () -> tokens.create(request));
    }

    @Override
    public void listApiTokens(ListApiTokensRequest request, StreamObserver<ListApiTokensResponse> out) {
        reply(out, () -> tokens.list(request));
    }

    @Override
    public void revokeApiToken(RevokeApiTokenRequest request, StreamObserver<RevokeApiTokenResponse> out) {
        reply(out, () -> tokens.revoke(request));
    }
}
