package dev.spinup.controlplane.api;

import dev.spinup.api.v1.GetRegionRequest;
import dev.spinup.api.v1.RegionStatus;
import dev.spinup.api.v1.SetRegionCapacityRequest;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.RegionCapacity;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.store.FleetStore;
import dev.spinup.controlplane.store.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** GetRegion and SetRegionCapacity: a region's capacity settings and what it has now (admin). */
final class RegionApi {
    /** Longest scale-in cool-down: a week. */
    static final Duration MAX_COOL_DOWN = Duration.ofDays(7);

    private static final int PAGE = 500;
    private final Transactions db;
    private final FlavorCatalog flavors;
    private final Clock clock;

    RegionApi(Transactions db, FlavorCatalog flavors, Clock clock) {
        this.db = db;
        this.flavors = flavors;
        this.clock = clock;
    }

    RegionStatus get(GetRegionRequest request) {
        return status(known(request.getRegion()));
    }

    /** Replaces the capacity settings, audited in the same transaction. */
    RegionStatus setCapacity(SetRegionCapacityRequest request) {
        String region = known(request.getRegion());
        RegionCapacity capacity = capacity(request.getCapacity());
        String actor = Principal.current().actor();
        db.inTransactionVoid(tx -> {
            tx.fleet().setCapacity(region, capacity);
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

    private String known(String region) {
        String id = Requests.region(region);
        if (!db.read(tx -> tx.fleet().regionExists(id))) {
            throw SpinUpException.notFound(ErrorReason.REGION_NOT_FOUND, "region", id, "no region " + id);
        }
        return id;
    }

    /** The region now: its settings, its hosts by state, free room over placeable hosts, headroom. */
    private RegionStatus status(String id) {
        record Snapshot(
                dev.spinup.controlplane.core.Region region,
                RegionCapacity capacity,
                List<FleetStore.StateCount> counts,
                List<Envelope> free) {}
        Snapshot s = db.read(tx -> {
            var region = tx.fleet().findRegion(id).orElseThrow();
            List<Envelope> free = new ArrayList<>();
            UUID after = null;
            while (true) {
                var page = tx.fleet().hostViews(id, HostState.HEALTHY, after, PAGE);
                page.forEach(v -> free.add(v.host().total().leftAfter(v.allocated())));
                if (page.size() < PAGE) {
                    break;
                }
                after = page.getLast().host().id();
            }
            return new Snapshot(
                    region, tx.fleet().capacity(id).orElseThrow(), tx.fleet().hostCounts(id), free);
        });
        Map<HostState, Integer> byState = new EnumMap<>(HostState.class);
        s.counts().forEach(c -> byState.put(c.state(), c.hosts()));
        Envelope headroomFlavor = flavors.envelopeOf(s.capacity().headroomFlavor());
        Envelope free = s.free().stream().reduce(new Envelope(0, 0, 0), Envelope::plus);
        return RegionStatus.newBuilder()
                .setRegion(FleetApi.toProto(s.region()))
                .setCapacity(dev.spinup.api.v1.RegionCapacity.newBuilder()
                        .setMinHosts(s.capacity().minHosts())
                        .setMaxHosts(s.capacity().maxHosts())
                        .setHeadroomWorkspaces(s.capacity().headroomWorkspaces())
                        .setHeadroomFlavor(
                                WorkspaceProtoMapper.toProto(s.capacity().headroomFlavor()))
                        .setScaleInCoolDown(com.google.protobuf.Duration.newBuilder()
                                .setSeconds(s.capacity().scaleInCoolDown().toSeconds())))
                .setHosts(byState.entrySet().stream()
                        .filter(e -> e.getKey() != HostState.RETIRED)
                        .mapToInt(Map.Entry::getValue)
                        .sum())
                .setHostsPlaceable(byState.getOrDefault(HostState.HEALTHY, 0))
                .setHostsEnrolling(byState.getOrDefault(HostState.ENROLLING, 0))
                .setHostsDraining(byState.getOrDefault(HostState.DRAINING, 0))
                .setHostsUnhealthy(byState.getOrDefault(HostState.UNHEALTHY, 0))
                .setFree(WorkspaceProtoMapper.toProto(free))
                .setHeadroomFree(RegionCapacity.fits(s.free(), headroomFlavor))
                .setHeadroomTarget(s.capacity().headroomWorkspaces())
                .build();
    }
}
