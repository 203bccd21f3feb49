package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.Region;
import dev.spinup.controlplane.core.RegionCapacity;
import dev.spinup.controlplane.core.ScalingActivity;
import dev.spinup.controlplane.store.FleetStore;
import dev.spinup.controlplane.store.Tx;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A region now, all derived from its hosts and workspaces: its capacity settings, its hosts by
 * state, the free room over the hosts that take placements, and how many workspaces of the
 * headroom flavor still fit (each on one host) against the target, and its scaling decision in
 * flight. GetRegion answers with it; the region gauges publish it; the scaler sizes by it.
 *
 * @param hostsFree what each placeable host has free
 */
public record RegionReport(
        Region region,
        RegionCapacity capacity,
        Map<HostState, Integer> hosts,
        List<Envelope> hostsFree,
        Envelope free,
        int headroomFree,
        Optional<ScalingActivity> scaling) {
    private static final int PAGE = 500;

    /** Hosts that are not retired. */
    public int activeHosts() {
        return hosts.entrySet().stream()
                .filter(e -> e.getKey() != HostState.RETIRED)
                .mapToInt(Map.Entry::getValue)
                .sum();
    }

    public int hostsIn(HostState state) {
        return hosts.getOrDefault(state, 0);
    }

    /** Read in one transaction's view; empty if there is no such region. */
    public static Optional<RegionReport> of(Tx tx, String regionId, FlavorCatalog flavors) {
        FleetStore fleet = tx.fleet();
        Optional<Region> region = fleet.findRegion(regionId);
        if (region.isEmpty()) {
            return Optional.empty();
        }
        RegionCapacity capacity = fleet.capacity(regionId).orElseThrow();
        Map<HostState, Integer> hosts = new EnumMap<>(HostState.class);
        fleet.hostCounts(regionId).forEach(c -> hosts.put(c.state(), c.hosts()));
        List<Envelope> free = new ArrayList<>();
        UUID after = null;
        while (true) {
            var page = fleet.hostViews(regionId, HostState.HEALTHY, after, PAGE);
            page.forEach(v -> free.add(v.host().total().leftAfter(v.allocated())));
            if (page.size() < PAGE) {
                break;
            }
            after = page.getLast().host().id();
        }
        return Optional.of(new RegionReport(
                region.get(),
                capacity,
                hosts,
                List.copyOf(free),
                free.stream().reduce(new Envelope(0, 0, 0), Envelope::plus),
                RegionCapacity.fits(free, flavors.envelopeOf(capacity.headroomFlavor())),
                tx.scaling().inFlight(regionId)));
    }
}
