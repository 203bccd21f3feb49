package dev.spinup.controlplane.api;

import dev.spinup.api.v1.AccessGrant;
import dev.spinup.api.v1.AddDomainRequest;
import dev.spinup.api.v1.ArchiveWorkspaceRequest;
import dev.spinup.api.v1.CreateAccessGrantRequest;
import dev.spinup.api.v1.CreateEnrollmentTokenRequest;
import dev.spinup.api.v1.CreateEnrollmentTokenResponse;
import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.DeleteWorkspaceRequest;
import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.api.v1.GetHostRequest;
import dev.spinup.api.v1.GetOperationDurationsRequest;
import dev.spinup.api.v1.GetOperationDurationsResponse;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Host;
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
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.RemoveDomainRequest;
import dev.spinup.api.v1.ResizeWorkspaceRequest;
import dev.spinup.api.v1.RestoreWorkspaceRequest;
import dev.spinup.api.v1.SetSharingRequest;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.api.v1.UndrainHostRequest;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceServiceGrpc;
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
            Clock clock) {
        this.lifecycle = new LifecycleApi(db, service, flavors, offeredTemplates, workspaceDomain, clock);
        this.access = new AccessApi(db, accessKeys, lifecycle, workspaceDomain, edgeScheme, clock);
        this.domains = new DomainApi(db, lifecycle, workspaceDomain);
        this.operations = new OperationApi(db, durations, clock);
        this.fleet = new FleetApi(db, enrollment, heartbeatLease, clock);
    }

    @Override
    public void createWorkspace(CreateWorkspaceRequest request, StreamObserver<Operation> out) {
        reply(out, () -> lifecycle.create(request));
    }

    @Override
    public void getWorkspace(GetWorkspaceRequest request, StreamObserver<Workspace> out) {
        reply(out, () -> lifecycle.get(request));
    }

    @Override
    public void listWorkspaces(ListWorkspacesRequest request, StreamObserver<ListWorkspacesResponse> out) {
        reply(out, () -> lifecycle.list(request));
    }

    @Override
    public void suspendWorkspace(SuspendWorkspaceRequest request, StreamObserver<Operation> out) {
        reply(out, () -> lifecycle.suspend(request));
    }

    @Override
    public void archiveWorkspace(ArchiveWorkspaceRequest request, StreamObserver<Operation> out) {
        reply(out, () -> lifecycle.archive(request));
    }

    @Override
    public void restoreWorkspace(RestoreWorkspaceRequest request, StreamObserver<Operation> out) {
        reply(out, () -> lifecycle.restore(request));
    }

    @Override
    public void resizeWorkspace(ResizeWorkspaceRequest request, StreamObserver<Operation> out) {
        reply(out, () -> lifecycle.resize(request));
    }

    @Override
    public void deleteWorkspace(DeleteWorkspaceRequest request, StreamObserver<Operation> out) {
        reply(out, () -> lifecycle.delete(request));
    }

    @Override
    public void addDomain(AddDomainRequest request, StreamObserver<Operation> out) {
        reply(out, () -> domains.add(request));
    }

    @Override
    public void removeDomain(RemoveDomainRequest request, StreamObserver<Operation> out) {
        reply(out, () -> domains.remove(request));
    }

    @Override
    public void listDomains(ListDomainsRequest request, StreamObserver<ListDomainsResponse> out) {
        reply(out, () -> domains.list(request));
    }

    @Override
    public void createAccessGrant(CreateAccessGrantRequest request, StreamObserver<AccessGrant> out) {
        reply(out, () -> access.create(request));
    }

    @Override
    public void setSharing(SetSharingRequest request, StreamObserver<Operation> out) {
        reply(out, () -> access.setSharing(request));
    }

    @Override
    public void getOperation(GetOperationRequest request, StreamObserver<Operation> out) {
        reply(out, () -> operations.get(request));
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
    public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> out) {
        reply(out, () -> fleet.hosts(request));
    }

    @Override
    public void getHost(GetHostRequest request, StreamObserver<Host> out) {
        reply(out, () -> fleet.host(request));
    }

    @Override
    public void drainHost(DrainHostRequest request, StreamObserver<Host> out) {
        reply(out, () -> fleet.drain(request));
    }

    @Override
    public void undrainHost(UndrainHostRequest request, StreamObserver<Host> out) {
        reply(out, () -> fleet.undrain(request));
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
}
