package dev.spinup.controlplane.api;

import dev.spinup.api.ProtoEnums;
import dev.spinup.api.v1.CreateEnrollmentTokenRequest;
import dev.spinup.api.v1.CreateEnrollmentTokenResponse;
import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.api.v1.GetHostRequest;
import dev.spinup.api.v1.Host;
import dev.spinup.api.v1.ListHostsRequest;
import dev.spinup.api.v1.ListHostsResponse;
import dev.spinup.api.v1.ListOrphansRequest;
import dev.spinup.api.v1.ListOrphansResponse;
import dev.spinup.api.v1.ListRegionsRequest;
import dev.spinup.api.v1.ListRegionsResponse;
import dev.spinup.api.v1.Region;
import dev.spinup.api.v1.RegionState;
import dev.spinup.api.v1.UndrainHostRequest;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.fleet.Enrollment;
import dev.spinup.controlplane.store.FleetStore;
import dev.spinup.controlplane.store.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

/** The admin side: regions, hosts (draining), enrollment tokens, orphans. */
final class FleetApi {
    private final Transactions db;
    private final Enrollment enrollment;
    private final dev.spinup.controlplane.transitions.HostLoss hostLoss;
    private final dev.spinup.controlplane.transitions.Evacuation evacuation;
    private final Duration heartbeatLease;
    private final Clock clock;

    FleetApi(
            Transactions db,
            Enrollment enrollment,
            dev.spinup.controlplane.transitions.HostLoss hostLoss,
            dev.spinup.controlplane.transitions.Evacuation evacuation,
            Duration heartbeatLease,
            Clock clock) {
        this.db = db;
        this.enrollment = enrollment;
        this.hostLoss = hostLoss;
        this.evacuation = evacuation;
        this.heartbeatLease = heartbeatLease;
        this.clock = clock;
    }

    ListRegionsResponse regions(ListRegionsRequest request) {
        int size = Requests.pageSize(request.getPageSize());
        String after = Requests.afterKey(request);
        var page = Requests.pageAt(
                db.read(tx -> tx.fleet().regions(after, size + 1)),
                size,
                dev.spinup.controlplane.core.Region::id,
                request);
        return ListRegionsResponse.newBuilder()
                .addAllRegions(page.items().stream().map(FleetApi::toProto).toList())
                .setNextPageToken(page.nextPageToken())
                .build();
    }

    static Region toProto(dev.spinup.controlplane.core.Region r) {
        return Region.newBuilder()
                .setId(r.id())
                .setDisplayName(r.displayName())
                .setState(
                        "active".equals(r.state())
                                ? RegionState.REGION_STATE_ACTIVE
                                : RegionState.REGION_STATE_RETIRING)
                .setCreatedAt(WorkspaceProtoMapper.timestamp(r.createdAt()))
                .build();
    }

    ListHostsResponse hosts(ListHostsRequest request) {
        int size = Requests.pageSize(request.getPageSize());
        UUID after = Requests.afterId(request);
        String region = request.getRegion().isEmpty() ? null : Requests.region(request.getRegion());
        HostState state = switch (request.getState()) {
            case HOST_STATE_UNSPECIFIED -> null;
            case UNRECOGNIZED ->
                throw SpinUpException.invalidField(
                        ErrorReason.FIELD_INVALID, "state", "state is not a known HostState");
            default -> HostState.valueOf(ProtoEnums.bare(request.getState()));
        };
        var page = Requests.page(
                db.read(tx -> tx.fleet().hostViews(region, state, after, size + 1)),
                size,
                v -> v.host().id(),
                request);
        return ListHostsResponse.newBuilder()
                .addAllHosts(page.items().stream().map(this::toProto).toList())
                .setNextPageToken(page.nextPageToken())
                .build();
    }

    Host host(GetHostRequest request) {
        return toProto(hostView(Requests.id("host_id", request.getHostId())));
    }

    Host drain(DrainHostRequest request) {
        UUID id = Requests.id("host_id", request.getHostId());
        hostView(id);
        db.inTransactionVoid(tx -> tx.fleet()
                .drain(id, clock.instant(), "drained by " + Principal.current().actor()));
        return toProto(hostView(id));
    }

    /** Fences the host and starts its workspaces' recoveries (audited as host.lost). */
    Host declareLost(dev.spinup.api.v1.DeclareHostLostRequest request) {
        UUID id = Requests.id("host_id", request.getHostId());
        hostLoss.declare(id, request.getReason(), Principal.current().actor());
        return toProto(hostView(id));
    }

    /** Drains the host and moves its workspaces elsewhere, one EVACUATE each. */
    dev.spinup.api.v1.EvacuateHostResponse evacuate(dev.spinup.api.v1.EvacuateHostRequest request) {
        UUID id = Requests.id("host_id", request.getHostId());
        var result = evacuation.evacuate(id, Principal.current().actor());
        return dev.spinup.api.v1.EvacuateHostResponse.newBuilder()
                .setHost(toProto(hostView(id)))
                .addAllOperations(result.started().stream()
                        .map(op -> WorkspaceProtoMapper.toProto(op, clock.instant()))
                        .toList())
                .addAllWorkspacesLeft(result.left().stream().map(UUID::toString).toList())
                .build();
    }

    Host undrain(UndrainHostRequest request) {
        UUID id = Requests.id("host_id", request.getHostId());
        hostView(id);
        db.inTransactionVoid(tx -> tx.fleet()
                .undrain(
                        id,
                        clock.instant().minus(heartbeatLease),
                        clock.instant(),
                        "undrained by " + Principal.current().actor()));
        return toProto(hostView(id));
    }

    CreateEnrollmentTokenResponse enrollmentToken(CreateEnrollmentTokenRequest request) {
        var token = enrollment.createToken(
                Requests.region(request.getRegion()),
                Requests.duration("ttl", request.getTtl()),
                Principal.current().actor());
        return CreateEnrollmentTokenResponse.newBuilder()
                .setToken(token.token())
                .setExpiresAt(WorkspaceProtoMapper.timestamp(token.expiresAt()))
                .build();
    }

    ListOrphansResponse orphans(ListOrphansRequest request) {
        UUID host = request.getHostId().isEmpty() ? null : Requests.id("host_id", request.getHostId());
        int size = Requests.pageSize(request.getPageSize());
        FleetStore.OrphanKey after = orphanKey(Requests.afterKey(request));
        var page = Requests.pageAt(
                db.read(tx -> tx.fleet().orphans(host, after, size + 1)),
                size,
                o -> o.hostId() + "/" + o.workspaceId(),
                request);
        var orphans = page.items().stream()
                .map(o -> dev.spinup.api.v1.Orphan.newBuilder()
                        .setHostId(o.hostId().toString())
                        .setWorkspaceId(o.workspaceId())
                        .setLocalState(o.localState())
                        .setFirstSeenAt(WorkspaceProtoMapper.timestamp(o.firstSeenAt()))
                        .setLastSeenAt(WorkspaceProtoMapper.timestamp(o.lastSeenAt()))
                        .build())
                .toList();
        return ListOrphansResponse.newBuilder()
                .addAllOrphans(orphans)
                .setNextPageToken(page.nextPageToken())
                .build();
    }

    /** A page token's "host/workspace" key (only ever written by {@link #orphans}). */
    private static FleetStore.OrphanKey orphanKey(String key) {
        if (key == null) {
            return null;
        }
        int slash = key.indexOf('/');
        try {
            return new FleetStore.OrphanKey(
                    UUID.fromString(key.substring(0, Math.max(slash, 0))), key.substring(slash + 1));
        } catch (IllegalArgumentException e) {
            throw Requests.foreignToken();
        }
    }

    private FleetStore.HostView hostView(UUID id) {
        return db.read(tx -> tx.fleet().hostView(id))
                .orElseThrow(() -> SpinUpException.notFound(ErrorReason.HOST_NOT_FOUND, "hostId", id, "no host " + id));
    }

    private Host toProto(FleetStore.HostView v) {
        var host = v.host();
        var b = Host.newBuilder()
                .setId(host.id().toString())
                .setRegion(host.regionId())
                .setFqdn(host.fqdn())
                .setState(ProtoEnums.of(dev.spinup.api.v1.HostState.class, host.state()))
                .setStateSince(WorkspaceProtoMapper.timestamp(host.stateSince()))
                .setStateReason(host.stateReason())
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
}
