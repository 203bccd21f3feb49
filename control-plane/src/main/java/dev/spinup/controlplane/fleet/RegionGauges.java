package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.Region;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;

/**
 * Each region's hosts by state and its headroom, free against target, as gauges read fresh from
 * the database before every scrape of this replica's /metrics (so every replica reports them, and
 * a region's series appear with it). A scrape while the database is away keeps the last values
 * and counts a failure.
 */
public final class RegionGauges implements Runnable {
    private static final int PAGE = 500;
    private final Transactions db;
    private final FlavorCatalog flavors;
    private final MultiGauge hosts;
    private final MultiGauge headroomFree;
    private final MultiGauge headroomTarget;
    private final MultiGauge scaleUpsPending;
    private final MultiGauge hostsDesired;
    private final Counter failures;

    public RegionGauges(Transactions db, FlavorCatalog flavors, MeterRegistry meters) {
        this.db = db;
        this.flavors = flavors;
        this.hosts = MultiGauge.builder("spinup_region_hosts")
                .description("hosts of a region by state (enrolling, healthy, unhealthy, draining, retired)")
                .register(meters);
        this.headroomFree = MultiGauge.builder("spinup_region_headroom_free")
                .description("workspaces of the region's headroom flavor that still fit, each on one host")
                .register(meters);
        this.headroomTarget = MultiGauge.builder("spinup_region_headroom_target")
                .description("the headroom the region is set to keep (SetRegionCapacity)")
                .register(meters);
        this.scaleUpsPending = MultiGauge.builder("spinup_region_scale_ups_pending")
                .description("the region's scaling decision in flight (0 or 1)")
                .register(meters);
        this.hostsDesired = MultiGauge.builder("spinup_region_hosts_desired")
                .description(
                        "the healthy hosts the region is heading for: its scale-up's goal, else the healthy it has")
                .register(meters);
        this.failures = meters.counter("spinup_background_failures", "loop", "region_gauges");
        run(); // the documented series exist from start
    }

    /** Reads every region's report and replaces the gauges' rows. */
    @Override
    public void run() {
        List<RegionReport> reports;
        try {
            reports = db.read(tx -> {
                List<RegionReport> all = new ArrayList<>();
                String after = null;
                while (true) {
                    List<Region> page = tx.fleet().regions(after, PAGE);
                    for (Region r : page) {
                        RegionReport.of(tx, r.id(), flavors).ifPresent(all::add);
                    }
                    if (page.size() < PAGE) {
                        return all;
                    }
                    after = page.getLast().id();
                }
            });
        } catch (RuntimeException e) {
            failures.increment();
            return;
        }
        List<MultiGauge.Row<?>> hostRows = new ArrayList<>();
        List<MultiGauge.Row<?>> freeRows = new ArrayList<>();
        List<MultiGauge.Row<?>> targetRows = new ArrayList<>();
        List<MultiGauge.Row<?>> pendingRows = new ArrayList<>();
        List<MultiGauge.Row<?>> desiredRows = new ArrayList<>();
        for (RegionReport r : reports) {
            String region = r.region().id();
            for (HostState state : HostState.values()) {
                hostRows.add(MultiGauge.Row.of(Tags.of("region", region, "state", state.wire()), r.hostsIn(state)));
            }
            freeRows.add(MultiGauge.Row.of(Tags.of("region", region), r.headroomFree()));
            targetRows.add(
                    MultiGauge.Row.of(Tags.of("region", region), r.capacity().headroomWorkspaces()));
            pendingRows.add(
                    MultiGauge.Row.of(Tags.of("region", region), r.scaling().isPresent() ? 1 : 0));
            desiredRows.add(MultiGauge.Row.of(
                    Tags.of("region", region),
                    r.scaling().map(a -> a.hostsWanted()).orElse(r.hostsIn(HostState.HEALTHY))));
        }
        hosts.register(hostRows, true);
        headroomFree.register(freeRows, true);
        headroomTarget.register(targetRows, true);
        scaleUpsPending.register(pendingRows, true);
        hostsDesired.register(desiredRows, true);
    }
}
