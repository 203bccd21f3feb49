package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.Host;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.RegionCapacity;
import dev.spinup.controlplane.store.FleetStore;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The scaler's way down: empty hosts of a region given back to their provider (a pass of {@link Scaler}). */
final class ScaleIn {
    private static final Logger log = LoggerFactory.getLogger(ScaleIn.class);
    /** How every scale-in reason begins: what marks a host scale-in drained. */
    static final String SCALE_IN = "scale-in: ";

    private final Transactions db;
    private final CapacityProvider provider;
    private final FlavorCatalog flavors;
    private final Consumer<UUID> evacuate;
    private final Clock clock;
    private final Counter retired;

    ScaleIn(
            Transactions db,
            CapacityProvider provider,
            FlavorCatalog flavors,
            Consumer<UUID> evacuate,
            Clock clock,
            MeterRegistry meters) {
        this.db = db;
        this.evacuate = evacuate;
        this.provider = provider;
        this.flavors = flavors;
        this.clock = clock;
        this.retired = meters.counter("spinup_scale_ins_retired");
    }

    /**
     * Gives back the region's hosts that have been empty for its cool-down, oldest empty first,
     * while the region keeps its min hosts and its headroom without them: each is drained (checked
     * empty with its row locked), released by the provider, then retired. A host a crashed pass
     * drained is released and retired first. Nothing while a decision is in flight or an
     * operation waits for room.
     */
    void run(String region) {
        evacuateLeaving(region);
        for (Host h : db.read(tx -> tx.fleet().draining(region, SCALE_IN))) {
            release(h);
        }
        // an evacuated host (EvacuateHost) goes back too, once nothing is on it or leaving it
        for (Host h :
                db.read(tx -> tx.fleet().draining(region, dev.spinup.controlplane.transitions.Evacuation.EVACUATING))) {
            if (provider.owns(h) && db.read(tx -> tx.fleet().holdsNothing(h.id()))) {
                release(h);
            }
        }
        Instant now = clock.instant();
        record View(RegionReport report, List<FleetStore.EmptyHost> empty, boolean waiting) {}
        View v = db.inTransaction(tx -> new View(
                RegionReport.of(tx, region, flavors).orElseThrow(),
                tx.fleet().emptyHosts(region, now),
                !tx.scaling().capacityWaits(region).isEmpty()));
        RegionCapacity c = v.report().capacity();
        if (v.report().scaling().isPresent() || v.waiting()) {
            return;
        }
        Envelope each = flavors.envelopeOf(c.headroomFlavor());
        int healthy = v.report().hostsIn(HostState.HEALTHY);
        int headroom = v.report().headroomFree();
        for (FleetStore.EmptyHost e : v.empty()) {
            Host h = e.host();
            int holds = RegionCapacity.fits(List.of(h.total()), each);
            if (e.emptySince().plus(c.scaleInCoolDown()).isAfter(now)
                    || healthy - 1 < c.minHosts()
                    || headroom - holds < c.headroomWorkspaces()
                    || !provider.owns(h)) {
                continue;
            }
            String reason = SCALE_IN + "empty since " + e.emptySince() + ", past the cool-down of "
                    + c.scaleInCoolDown().toSeconds() + " s";
            if (db.inTransaction(tx -> tx.fleet().drainIfEmpty(h.id(), now, reason))) {
                healthy--;
                headroom -= holds;
                release(h);
            }
        }
    }

    /**
     * Hosts the provider takes away on its own are evacuated (each pass starts an EVACUATE for the
     * workspaces a busy operation held before) and held by the provider while anything is on
     * them; once empty, the loop above releases and retires them.
     */
    private void evacuateLeaving(String region) {
        List<Host> leaving = provider.leaving(region, db.read(tx -> tx.fleet().inService(region)));
        for (Host h : leaving) {
            boolean empty = db.read(tx -> tx.fleet().holdsNothing(h.id()));
            if (h.state() == HostState.HEALTHY || h.state() == HostState.UNHEALTHY || !empty) {
                log.atWarn()
                        .setMessage("host_leaving")
                        .addKeyValue("region", region)
                        .addKeyValue("host", h.fqdn())
                        .addKeyValue("provider", provider.name())
                        .log();
                evacuate.accept(h.id());
            }
            if (!empty) {
                provider.holdLeaving(region, h);
            }
        }
    }

    /** A drained host goes back to its provider, then is retired (both safe to repeat). */
    private void release(Host h) {
        provider.release(h.regionId(), h);
        if (db.inTransaction(
                tx -> tx.fleet().retire(h.id(), clock.instant(), SCALE_IN + "released by " + provider.name()))) {
            retired.increment();
            log.atInfo()
                    .setMessage("scale_in_retired")
                    .addKeyValue("region", h.regionId())
                    .addKeyValue("host", h.fqdn())
                    .log();
        }
    }
}
