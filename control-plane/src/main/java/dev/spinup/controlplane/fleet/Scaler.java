package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.RegionCapacity;
import dev.spinup.controlplane.core.ScalingActivity;
import dev.spinup.controlplane.store.FleetStore;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each region a provider grows at its warm headroom. One pass ({@link #tick}) first moves
 * every decision in flight on — asks the provider for a decided one (what a crashed replica left
 * too), marks a requested one fulfilled once the region has the hosts healthy, or failed past
 * the deadline — then, for a region with no decision in flight whose free room is below its
 * headroom and which is below its max, records one decision sized to close the gap (a burst
 * makes one), and asks the provider. A decision is recorded before the provider is asked, and the
 * provider is asked outside any transaction.
 */
public final class Scaler {
    private static final Logger log = LoggerFactory.getLogger(Scaler.class);
    private final Transactions db;
    private final CapacityProvider provider;
    private final FlavorCatalog flavors;
    private final Function<String, String> tokens;
    private final Duration deadline;
    private final Clock clock;
    private final Counter decided;
    private final Counter failed;
    private final Counter fulfilled;

    /**
     * @param provider where new hosts come from; null: none is offered (regions stay static)
     * @param tokens a one-time enrollment token for a region
     * @param deadline how long a requested scale-up may take to have its hosts healthy
     */
    public Scaler(
            Transactions db,
            CapacityProvider provider,
            FlavorCatalog flavors,
            Function<String, String> tokens,
            Duration deadline,
            Clock clock,
            MeterRegistry meters) {
        this.db = db;
        this.provider = provider;
        this.flavors = flavors;
        this.tokens = tokens;
        this.deadline = deadline;
        this.clock = clock;
        this.decided = meters.counter("spinup_scale_ups", "outcome", "decided");
        this.failed = meters.counter("spinup_scale_ups", "outcome", "failed");
        this.fulfilled = meters.counter("spinup_scale_ups", "outcome", "fulfilled");
    }

    /** One pass; nothing when this installation offers no provider. */
    public void tick() {
        if (provider == null) {
            return;
        }
        List<String> regions = db.read(tx -> tx.fleet().regionsGrownBy(provider.name()));
        for (ScalingActivity a : db.read(tx -> tx.scaling().allInFlight())) {
            if (regions.contains(a.regionId())) {
                advance(a);
            }
        }
        for (String region : regions) {
            decide(region).ifPresent(this::advance);
        }
    }

    /** A decision for the region if it lacks headroom, is below its max and has none in flight. */
    private Optional<ScalingActivity> decide(String region) {
        return db.inTransaction(tx -> {
            RegionReport r = RegionReport.of(tx, region, flavors).orElseThrow();
            if (r.scaling().isPresent()) {
                return Optional.empty(); // one decision in flight at a time
            }
            RegionCapacity c = r.capacity();
            int missing = c.headroomWorkspaces() - r.headroomFree();
            if (missing <= 0) {
                return Optional.empty();
            }
            int perHost = RegionCapacity.fits(List.of(provider.hostCapacity()), flavors.envelopeOf(c.headroomFlavor()));
            if (perHost == 0) {
                return Optional.empty(); // the provider's hosts cannot hold one: more of them would not help
            }
            int add = (missing + perHost - 1) / perHost;
            if (c.maxHosts() > 0) {
                add = Math.min(add, c.maxHosts() - r.activeHosts()); // max counts every host not retired
            }
            if (add <= 0) {
                return Optional.empty(); // at its max
            }
            // counted in healthy hosts: an unhealthy or draining one neither helps nor blocks the goal
            int before = r.hostsIn(HostState.HEALTHY);
            int wanted = before + add;
            String reason = "headroom " + r.headroomFree() + " of " + c.headroomWorkspaces() + " "
                    + c.headroomFlavor().wire();
            Optional<ScalingActivity> made =
                    tx.scaling().decide(Ids.newId(clock), region, before, wanted, reason, clock.instant());
            made.ifPresent(a -> decided.increment());
            return made;
        });
    }

    private void advance(ScalingActivity a) {
        switch (a.state()) {
            case DECIDED -> {
                String record;
                try {
                    record = provider.add(
                            a.regionId(), a.id(), a.hostsWanted() - a.hostsBefore(), () -> tokens.apply(a.regionId()));
                } catch (RuntimeException e) {
                    end(a, false, provider.name() + " could not add hosts: " + e.getMessage());
                    return;
                }
                db.inTransaction(tx -> tx.scaling().requested(a.id(), record, clock.instant()));
                log.atInfo()
                        .setMessage("scale_up_requested")
                        .addKeyValue("region", a.regionId())
                        .addKeyValue("hosts", a.hostsBefore() + "->" + a.hostsWanted())
                        .addKeyValue("activity", record)
                        .addKeyValue("reason", a.reason())
                        .log();
            }
            case REQUESTED -> {
                int healthy = db.read(tx -> tx.fleet().hostCounts(a.regionId()).stream()
                        .filter(c -> c.state() == HostState.HEALTHY)
                        .mapToInt(FleetStore.StateCount::hosts)
                        .sum());
                if (healthy >= a.hostsWanted()) {
                    end(a, true, null);
                } else if (clock.instant().isAfter(a.requestedAt().plus(deadline))) {
                    end(
                            a,
                            false,
                            "only " + healthy + " of " + a.hostsWanted() + " hosts healthy after "
                                    + deadline.toSeconds() + " s");
                }
            }
            case FULFILLED, FAILED -> {}
        }
    }

    private void end(ScalingActivity a, boolean done, String error) {
        if (db.inTransaction(tx -> tx.scaling().ended(a.id(), done, error, clock.instant()))) {
            (done ? fulfilled : failed).increment();
            (done ? log.atInfo() : log.atWarn())
                    .setMessage(done ? "scale_up_fulfilled" : "scale_up_failed")
                    .addKeyValue("region", a.regionId())
                    .addKeyValue("hosts", a.hostsWanted())
                    .addKeyValue("error", error == null ? "" : error)
                    .log();
        }
    }
}
