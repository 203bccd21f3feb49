package dev.spinup.controlplane.api;

import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.api.v1.AddDomainRequest;
import dev.spinup.api.v1.DomainKind;
import dev.spinup.api.v1.Domain;
import dev.spinup.api.v1.CertState;
import dev.spinup.api.v1.ArchiveWorkspaceRequest;
import dev.spinup.api.v1.CreateEnrollmentTokenRequest;
import dev.spinup.api.v1.CreateEnrollmentTokenResponse;
import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.DeleteWorkspaceRequest;
import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.controlplane.core.ErrorReason;
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
import dev.spinup.api.v1.Region;
import dev.spinup.api.v1.RegionState;
import dev.spinup.api.v1.RemoveDomainRequest;
import dev.spinup.api.v1.ResizeWorkspaceRequest;
import dev.spinup.api.v1.RestoreWorkspaceRequest;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.api.v1.UndrainHostRequest;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceServiceGrpc;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.FleetStore;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.engine.OperationDurations;
import dev.spinup.controlplane.core.OperationStatus;
import dev.spinup.controlplane.store.OperationStore;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.transitions.CreateWorkspace;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.transitions.WorkspaceService;
import dev.spinup.controlplane.store.WorkspaceStore;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Instant;
import dev.spinup.controlplane.transitions.ResizeWorkspaceJob;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** The gRPC edge of WorkspaceService: validates, maps proto to domain and back, delegates. */
public final class WorkspaceGrpcService extends WorkspaceServiceGrpc.WorkspaceServiceImplBase {
    private final Transactions db;
    private final WorkspaceService service;
    private final FlavorCatalog flavors;
    private final Set<ProjectTemplate> offeredTemplates;
    private final OperationDurations durations;
    private final java.time.Duration heartbeatLease;
    private final dev.spinup.controlplane.fleet.Enrollment enrollment;
    private final Clock clock;

    private final String workspaceDomain;

    public WorkspaceGrpcService(Transactions db, WorkspaceService service, FlavorCatalog flavors,
                                Set<ProjectTemplate> offeredTemplates, OperationDurations durations,
                                java.time.Duration heartbeatLease, dev.spinup.controlplane.fleet.Enrollment enrollment,
                                String workspaceDomain, Clock clock) {
        this.workspaceDomain = workspaceDomain;
        this.heartbeatLease = heartbeatLease;
        this.enrollment = enrollment;
        this.durations = durations;
        this.db = db;
        this.service = service;
        this.flavors = flavors;
        this.offeredTemplates = Set.copyOf(offeredTemplates);
        this.clock = clock;
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void createWorkspace(CreateWorkspaceRequest request, StreamObserver<Operation> out) {
        String requestId = Requests.requestId(request.getRequestId());
        Flavor flavor = WorkspaceProtoMapper.fromProto(request.getFlavor());
        Envelope envelope = envelope(flavor, request.hasCustomEnvelope(), request.getCustomEnvelope());
        ProjectTemplate template = WorkspaceProtoMapper.fromProto(request.getTemplate());
        if (!offeredTemplates.contains(template)) {
            throw SpinUpException.invalidField(ErrorReason.UNKNOWN_TEMPLATE, "template",
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
                Requests.labels(request.getLabelsMap()));
        var op = service.create(create, Principal.current().actor());
        reply(out, WorkspaceProtoMapper.toProto(op, clock.instant()));
    }

    private Envelope envelope(Flavor flavor, boolean hasCustom, dev.spinup.api.v1.Envelope custom) {
        if (flavor != Flavor.CUSTOM) {
            if (hasCustom) {
                throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "custom_envelope",
                        "custom_envelope is only allowed with flavor CUSTOM");
            }
            return flavors.envelopeOf(flavor);
        }
        if (!hasCustom) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_REQUIRED, "custom_envelope",
                    "flavor CUSTOM needs a custom_envelope");
        }
        if (custom.getVcpu() <= 0 || custom.getRamGb() <= 0 || custom.getDiskGb() <= 0) {
            throw SpinUpException.invalidField(ErrorReason.ENVELOPE_INVALID, "custom_envelope",
                    "custom_envelope needs positive vcpu, ram_gb and disk_gb");
        }
        Envelope e = new Envelope(custom.getVcpu(), custom.getRamGb(), custom.getDiskGb());
        String problem = flavors.customEnvelopeProblem(e);
        if (problem != null) {
            throw SpinUpException.invalidField(ErrorReason.ENVELOPE_INVALID, "custom_envelope", problem);
        }
        return e;
    }

    @Override
    public void getWorkspace(GetWorkspaceRequest request, StreamObserver<Workspace> out) {
        UUID id = Requests.id("workspace_id", request.getWorkspaceId());
        var workspace = db.read(tx -> tx.workspaces().find(id)).orElseThrow(() ->
                SpinUpException.notFound(ErrorReason.WORKSPACE_NOT_FOUND, "no workspace " + id));
        reply(out, toProto(workspace));
    }

    @Override
    public void listWorkspaces(ListWorkspacesRequest request, StreamObserver<ListWorkspacesResponse> out) {
        int size = Requests.pageSize(request.getPageSize());
        UUID after = Requests.afterId(request.getPageToken());
        var filter = new WorkspaceStore.WorkspaceFilter(
                WorkspaceProtoMapper.fromProto(request.getState()),
                request.getRegion().isEmpty() ? null : Requests.region(request.getRegion()),
                request.getExternalUserId().isEmpty() ? null
                        : Requests.text("external_user_id", request.getExternalUserId(), false, 200));
        var page = Requests.page(db.read(tx -> tx.workspaces().list(filter, after, size + 1)), size,
                dev.spinup.controlplane.core.Workspace::id);
        reply(out, ListWorkspacesResponse.newBuilder()
                .addAllWorkspaces(page.items().stream().map(this::toProto).toList())
                .setNextPageToken(page.nextPageToken())
                .build());
    }

    @Override
    public void suspendWorkspace(SuspendWorkspaceRequest request, StreamObserver<Operation> out) {
        transition(out, OperationVerb.SUSPEND, request.getRequestId(), request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(), Map.of());
    }

    @Override
    public void archiveWorkspace(ArchiveWorkspaceRequest request, StreamObserver<Operation> out) {
        transition(out, OperationVerb.ARCHIVE, request.getRequestId(), request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(), Map.of());
    }

    @Override
    public void restoreWorkspace(RestoreWorkspaceRequest request, StreamObserver<Operation> out) {
        transition(out, OperationVerb.RESTORE, request.getRequestId(), request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(), Map.of());
    }

    @Override
    public void resizeWorkspace(ResizeWorkspaceRequest request, StreamObserver<Operation> out) {
        Requests.requestId(request.getRequestId());
        Flavor flavor = WorkspaceProtoMapper.fromProto(request.getFlavor());
        Envelope envelope = envelope(flavor, request.hasCustomEnvelope(), request.getCustomEnvelope());
        if (request.getDeployCount() < 0) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "deploy_count", "deploy_count must not be negative");
        }
        int ceiling = flavors.maxDeploysOf(flavor);
        if (request.getDeployCount() > ceiling) {
            throw SpinUpException.failedPrecondition(ErrorReason.FLAVOR_CEILING_EXCEEDED, "the workspace has "
                            + request.getDeployCount() + " deploys; flavor " + flavor.wire() + " allows at most " + ceiling,
                    Map.of("max_deploys", Integer.toString(ceiling), "flavor", flavor.name()));
        }
        transition(out, OperationVerb.RESIZE, request.getRequestId(), request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(), ResizeWorkspaceJob.request(flavor, envelope));
    }

    @Override
    public void deleteWorkspace(DeleteWorkspaceRequest request, StreamObserver<Operation> out) {
        transition(out, OperationVerb.DELETE, request.getRequestId(), request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(), Map.of());
    }

    private void transition(StreamObserver<Operation> out, OperationVerb verb, String requestId,
                            com.google.protobuf.Message withoutRequestId, String workspaceId,
                            Map<String, String> params) {
        var op = service.transition(verb, Requests.requestId(requestId), Fingerprints.of(withoutRequestId),
                Requests.id("workspace_id", workspaceId), params, Principal.current().actor());
        reply(out, WorkspaceProtoMapper.toProto(op, clock.instant()));
    }

    // ------------------------------------------------------------------ domains

    @Override
    public void addDomain(AddDomainRequest request, StreamObserver<Operation> out) {
        String domain = customDomain(request.getDomain());
        transition(out, OperationVerb.ADD_DOMAIN, request.getRequestId(), request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(), Map.of("domain", domain));
    }

    @Override
    public void removeDomain(RemoveDomainRequest request, StreamObserver<Operation> out) {
        String domain = customDomain(request.getDomain());
        transition(out, OperationVerb.REMOVE_DOMAIN, request.getRequestId(), request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(), Map.of("domain", domain));
    }

    @Override
    public void listDomains(ListDomainsRequest request, StreamObserver<ListDomainsResponse> out) {
        UUID id = Requests.id("workspace_id", request.getWorkspaceId());
        List<Domain> domains = db.read(tx -> {
            tx.workspaces().find(id).orElseThrow(() ->
                    SpinUpException.notFound(ErrorReason.WORKSPACE_NOT_FOUND, "no workspace " + id));
            return tx.domains().of(id);
        }).stream().map(d -> {
            Domain.Builder b = Domain.newBuilder().setDomain(d.domain()).setWorkspaceId(id.toString())
                    .setKind("custom".equals(d.kind()) ? DomainKind.CUSTOM_DOMAIN : DomainKind.DEFAULT_SUBDOMAIN)
                    .setCertState(CertState.valueOf("CERT_" + d.certState().toUpperCase(Locale.ROOT)));
            if (d.verifiedAt() != null) {
                b.setVerifiedAt(WorkspaceProtoMapper.timestamp(d.verifiedAt()));
            }
            if (d.certIssuedAt() != null) {
                b.setCertIssuedAt(WorkspaceProtoMapper.timestamp(d.certIssuedAt()));
            }
            return b.build();
        }).toList();
        reply(out, ListDomainsResponse.newBuilder().addAllDomains(domains).build());
    }

    private static final java.util.regex.Pattern HOSTNAME = java.util.regex.Pattern.compile(
            "^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])$");

    /** A custom domain: a lowercase DNS name with at least two labels, not under the workspace domain. */
    private String customDomain(String raw) {
        if (raw.length() > Requests.MAX_DOMAIN + 16) {
            throw SpinUpException.invalidField(ErrorReason.DOMAIN_INVALID, "domain",
                    "domain is " + raw.length() + " characters long; a DNS name has at most " + Requests.MAX_DOMAIN);
        }
        String domain = raw.trim().toLowerCase(Locale.ROOT);
        if (domain.isEmpty()) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_REQUIRED, "domain", "domain is required");
        }
        if (!HOSTNAME.matcher(domain).matches()) {
            throw SpinUpException.invalidField(ErrorReason.DOMAIN_INVALID, "domain", "domain \"" + Requests.printable(raw)
                    + "\" is not a DNS name (letters, digits and hyphens in dot-separated labels, e.g. shop.example.com)");
        }
        if (domain.equals(workspaceDomain) || domain.endsWith("." + workspaceDomain)) {
            throw SpinUpException.invalidField(ErrorReason.DOMAIN_INVALID, "domain", "names under " + workspaceDomain
                    + " belong to SpinUp; every workspace already has one");
        }
        return domain;
    }

    // ------------------------------------------------------------------ operations

    @Override
    public void getOperation(GetOperationRequest request, StreamObserver<Operation> out) {
        UUID id = Requests.id("operation_id", request.getOperationId());
        var op = db.read(tx -> tx.operations().find(id)).orElseThrow(() ->
                SpinUpException.notFound(ErrorReason.OPERATION_NOT_FOUND, "no operation " + id));
        reply(out, withEstimate(op, clock.instant()));
    }

    @Override
    public void listOperations(ListOperationsRequest request, StreamObserver<ListOperationsResponse> out) {
        int size = Requests.pageSize(request.getPageSize());
        UUID after = Requests.afterId(request.getPageToken());
        var filter = new OperationStore.OperationFilter(
                request.getWorkspaceId().isEmpty() ? null : Requests.id("workspace_id", request.getWorkspaceId()),
                switch (request.getStatus()) {
                    case OPERATION_STATUS_UNSPECIFIED -> null;
                    case UNRECOGNIZED -> throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "status",
                            "status is not a known OperationStatus");
                    default -> OperationStatus.valueOf(request.getStatus().name());
                },
                switch (request.getVerb()) {
                    case OPERATION_VERB_UNSPECIFIED -> null;
                    case UNRECOGNIZED -> throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "verb",
                            "verb is not a known OperationVerb");
                    default -> OperationVerb.valueOf(request.getVerb().name());
                });
        var page = Requests.page(db.read(tx -> tx.operations().list(filter, after, size + 1)), size,
                dev.spinup.controlplane.core.Operation::id);
        Instant now = clock.instant();
        reply(out, ListOperationsResponse.newBuilder()
                .addAllOperations(page.items().stream().map(op -> withEstimate(op, now)).toList())
                .setNextPageToken(page.nextPageToken())
                .build());
    }

    @Override
    public void getOperationDurations(GetOperationDurationsRequest request,
                                      StreamObserver<GetOperationDurationsResponse> out) {
        var response = GetOperationDurationsResponse.newBuilder();
        for (OperationStore.DurationStat s : durations.recent()) {
            response.addDurations(dev.spinup.api.v1.OperationDuration.newBuilder()
                    .setVerb(dev.spinup.api.v1.OperationVerb.valueOf(s.verb().name()))
                    .setFlavor(WorkspaceProtoMapper.toProto(s.flavor()))
                    .setP50(duration(s.p50()))
                    .setP95(duration(s.p95()))
                    .setSampleCount(s.samples()));
        }
        reply(out, response.build());
    }

    private dev.spinup.api.v1.Operation withEstimate(dev.spinup.controlplane.core.Operation op, Instant now) {
        if (op.status().isTerminal()) {
            return WorkspaceProtoMapper.toProto(op, now);
        }
        var flavor = db.read(tx -> tx.workspaces().find(op.workspaceId())).map(w -> w.flavor()).orElseThrow();
        return WorkspaceProtoMapper.toProto(op, now, durations.estimate(op, flavor));
    }

    private static com.google.protobuf.Duration duration(java.time.Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }

    // ------------------------------------------------------------------ fleet / admin

    @Override
    public void listRegions(ListRegionsRequest request, StreamObserver<ListRegionsResponse> out) {
        List<Region> regions = db.read(tx -> tx.fleet().regions()).stream()
                .map(r -> Region.newBuilder().setId(r.id()).setDisplayName(r.displayName())
                        .setState("active".equals(r.state()) ? RegionState.REGION_ACTIVE : RegionState.REGION_RETIRING)
                        .setCreatedAt(WorkspaceProtoMapper.timestamp(r.createdAt())).build())
                .toList();
        reply(out, ListRegionsResponse.newBuilder().addAllRegions(regions).build());
    }

    @Override
    public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> out) {
        int size = Requests.pageSize(request.getPageSize());
        UUID after = Requests.afterId(request.getPageToken());
        String region = request.getRegion().isEmpty() ? null : Requests.region(request.getRegion());
        HostState state = switch (request.getState()) {
            case HOST_STATE_UNSPECIFIED -> null;
            case UNRECOGNIZED -> throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "state",
                    "state is not a known HostState");
            default -> HostState.valueOf(request.getState().name().substring("HOST_".length()));
        };
        var page = Requests.page(db.read(tx -> tx.fleet().hostViews(region, state, after, size + 1)), size,
                v -> v.host().id());
        reply(out, ListHostsResponse.newBuilder()
                .addAllHosts(page.items().stream().map(this::toProto).toList())
                .setNextPageToken(page.nextPageToken())
                .build());
    }

    @Override
    public void getHost(GetHostRequest request, StreamObserver<Host> out) {
        reply(out, toProto(hostView(Requests.id("host_id", request.getHostId()))));
    }

    @Override
    public void drainHost(DrainHostRequest request, StreamObserver<Host> out) {
        UUID id = Requests.id("host_id", request.getHostId());
        hostView(id);
        db.inTransactionVoid(tx -> tx.fleet().drain(id));
        reply(out, toProto(hostView(id)));
    }

    @Override
    public void undrainHost(UndrainHostRequest request, StreamObserver<Host> out) {
        UUID id = Requests.id("host_id", request.getHostId());
        hostView(id);
        db.inTransactionVoid(tx -> tx.fleet().undrain(id, clock.instant().minus(heartbeatLease)));
        reply(out, toProto(hostView(id)));
    }

    private FleetStore.HostView hostView(UUID id) {
        return db.read(tx -> tx.fleet().hostView(id)).orElseThrow(() ->
                SpinUpException.notFound(ErrorReason.HOST_NOT_FOUND, "no host " + id));
    }

    private Host toProto(FleetStore.HostView v) {
        var host = v.host();
        var b = Host.newBuilder()
                .setId(host.id().toString())
                .setRegion(host.regionId())
                .setFqdn(host.fqdn())
                .setState(dev.spinup.api.v1.HostState.valueOf("HOST_" + host.state().name()))
                .setTotal(WorkspaceProtoMapper.toProto(host.total()))
                .setAllocated(WorkspaceProtoMapper.toProto(v.allocated()))
                .setWorkspaceCount(v.workspaceCount())
                .setConnected(host.lastHeartbeatAt() != null
                        && host.lastHeartbeatAt().isAfter(clock.instant().minus(heartbeatLease)));
        if (host.lastHeartbeatAt() != null) {
            b.setLastHeartbeatAt(WorkspaceProtoMapper.timestamp(host.lastHeartbeatAt()));
        }
        return b.build();
    }

    @Override
    public void createEnrollmentToken(CreateEnrollmentTokenRequest request,
                                      StreamObserver<CreateEnrollmentTokenResponse> out) {
        var token = enrollment.createToken(Requests.region(request.getRegion()),
                Requests.duration("ttl", request.getTtl()), Principal.current().actor());
        reply(out, CreateEnrollmentTokenResponse.newBuilder().setToken(token.token())
                .setExpiresAt(WorkspaceProtoMapper.timestamp(token.expiresAt())).build());
    }

    @Override
    public void listOrphans(ListOrphansRequest request, StreamObserver<ListOrphansResponse> out) {
        UUID host = request.getHostId().isEmpty() ? null : Requests.id("host_id", request.getHostId());
        var orphans = db.read(tx -> tx.fleet().orphans(host)).stream()
                .map(o -> dev.spinup.api.v1.Orphan.newBuilder().setHostId(o.hostId().toString())
                        .setWorkspaceId(o.workspaceId()).setLocalState(o.localState())
                        .setFirstSeenAt(WorkspaceProtoMapper.timestamp(o.firstSeenAt()))
                        .setLastSeenAt(WorkspaceProtoMapper.timestamp(o.lastSeenAt())).build())
                .toList();
        reply(out, ListOrphansResponse.newBuilder().addAllOrphans(orphans).build());
    }

    private dev.spinup.api.v1.Workspace toProto(dev.spinup.controlplane.core.Workspace w) {
        return WorkspaceProtoMapper.toProto(w, flavors.maxDeploysOf(w.flavor())).toBuilder()
                .setHostname(w.id() + "." + workspaceDomain).build();
    }

    private static <T> void reply(StreamObserver<T> out, T value) {
        out.onNext(value);
        out.onCompleted();
    }
}
