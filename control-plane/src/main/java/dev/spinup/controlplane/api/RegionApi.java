package dev.spinup.controlplane.api;

import dev.spinup.api.ProtoEnums;
import dev.spinup.api.v1.GetRegionRequest;
import dev.spinup.api.v1.RegionStatus;
import dev.spinup.api.v1.SetRegionCapacityRequest;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.RegionCapacity;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.fleet.RegionReport;
import dev.spinup.controlplane.store.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/** GetRegion and SetRegionCapacity: a region's capacity settings and what it has now (admin). */
final class RegionApi {
    /** Longest scale-in cool-down: a week. */
    static final Duration MAX_COOL_DOWN = Duration.ofDays(7);

    private final Transactions db;
    private final FlavorCatalog flavors;
    private final Clock clock;

    RegionApi(Transactions db, FlavorCatalog flavors, Clock clock) {
        this.db = db;
        this.flavors = flavors;
        this.clock = clock;
    }

    RegionStatus get(GetRegionRequest request) {
        return status(Requests.region(request.getRegion()));
    }

    /** Replaces the capacity settings, audited in the same transaction. */
    RegionStatus setCapacity(SetRegionCapacityRequest request) {
        String region = Requests.region(request.getRegion());
        RegionCapacity capacity = capacity(request.getCapacity());
        String actor = Principal.current().actor();
        db.inTransactionVoid(tx -> {
            if (!tx.fleet().setCapacity(region, capacity)) {
                throw notFound(region);
            }
            tx.audit()
                    .append(
                            null,
                            null,
                            "region.capacity_set",
                            Map.of(
                                    "region", region,
                                    "minHosts", Integer.toString(capacity.minHosts()),
                                    "maxHosts", Integer.toString(capacity.maxHosts()),
                                    "headroom",
                                            capacity.headroomWorkspaces() + " "
                                                    + capacity.headroomFlavor().wire(),
                                    "scaleInCoolDownSeconds",
                                            Long.toString(
                                                    capacity.scaleInCoolDown().toSeconds())),
                            actor,
                            clock.instant());
        });
        return status(region);
    }

    private static RegionCapacity capacity(dev.spinup.api.v1.RegionCapacity c) {
        if (c.getMinHosts() < 0) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID, "capacity.min_hosts", "capacity.min_hosts must be 0 or more");
        }
        if (c.getMaxHosts() < 0 || (c.getMaxHosts() > 0 && c.getMaxHosts() < c.getMinHosts())) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID,
                    "capacity.max_hosts",
                    "capacity.max_hosts must be 0 (no limit) or at least min_hosts (" + c.getMinHosts() + ")");
        }
        if (c.getHeadroomWorkspaces() < 0) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID,
                    "capacity.headroom_workspaces",
                    "capacity.headroom_workspaces must be 0 or more");
        }
        Flavor flavor = c.getHeadroomFlavor() == dev.spinup.api.v1.Flavor.FLAVOR_UNSPECIFIED
                ? Flavor.HOBBY
                : WorkspaceProtoMapper.fromProto(c.getHeadroomFlavor());
        if (flavor == Flavor.CUSTOM) {
            throw SpinUpException.invalidField(
                    ErrorReason.UNKNOWN_FLAVOR,
                    "capacity.headroom_flavor",
                    "capacity.headroom_flavor must be a fixed flavor (HOBBY, PRO or TEAM)");
        }
        Duration coolDown = c.hasScaleInCoolDown()
                ? Requests.duration("capacity.scale_in_cool_down", c.getScaleInCoolDown())
                : RegionCapacity.DEFAULT.scaleInCoolDown();
        if (coolDown.isNegative() || coolDown.compareTo(MAX_COOL_DOWN) > 0) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID,
                    "capacity.scale_in_cool_down",
                    "capacity.scale_in_cool_down must be between 0 s and 7 days");
        }
        return new RegionCapacity(c.getMinHosts(), c.getMaxHosts(), c.getHeadroomWorkspaces(), flavor, coolDown);
    }

    private static SpinUpException notFound(String region) {
        return SpinUpException.notFound(ErrorReason.REGION_NOT_FOUND, "region", region, "no region " + region);
    }

    private RegionStatus status(String id) {
        RegionReport r = db.read(tx -> RegionReport.of(tx, id, flavors)).orElseThrow(() -> notFound(id));
        return RegionStatus.newBuilder()
                .setRegion(FleetApi.toProto(r.region()))
                .setCapacity(dev.spinup.api.v1.RegionCapacity.newBuilder()
                        .setMinHosts(r.capacity().minHosts())
                        .setMaxHosts(r.capacity().maxHosts())
                        .setHeadroomWorkspaces(r.capacity().headroomWorkspaces())
                        .setHeadroomFlavor(
                                WorkspaceProtoMapper.toProto(r.capacity().headroomFlavor()))
                        .setScaleInCoolDown(com.google.protobuf.Duration.newBuilder()
                                .setSeconds(r.capacity().scaleInCoolDown().toSeconds())))
                .setHosts(r.activeHosts())
                .setHostsPlaceable(r.hostsIn(HostState.HEALTHY))
                .setHostsEnrolling(r.hostsIn(HostState.ENROLLING))
                .setHostsDraining(r.hostsIn(HostState.DRAINING))
                .setHostsUnhealthy(r.hostsIn(HostState.UNHEALTHY))
                .setFree(WorkspaceProtoMapper.toProto(r.free()))
                .setHeadroomFree(r.headroomFree())
                .setHeadroomTarget(r.capacity().headroomWorkspaces())
                .addAllPendingScaleUps(r.scaling().stream()
                        .map(a -> dev.spinup.api.v1.ScalingActivity.newBuilder()
                                .setId(a.id().toString())
                                .setState(ProtoEnums.of(dev.spinup.api.v1.ScalingActivityState.class, a.state()))
                                .setHostsBefore(a.hostsBefore())
                                .setHostsWanted(a.hostsWanted())
                                .setReason(a.reason())
                                .setProviderActivity(a.providerActivity() == null ? "" : a.providerActivity())
                                .setDecidedAt(WorkspaceProtoMapper.timestamp(a.decidedAt()))
                                .setAge(com.google.protobuf.Duration.newBuilder()
                                        .setSeconds(java.time.Duration.between(a.decidedAt(), clock.instant())
                                                .toSeconds()))
                                .build())
                        .toList())
                .build();
    }
}
