package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.RegionCapacity;
import dev.spinup.controlplane.core.ScalingActivity;
import dev.spinup.controlplane.engine.StepHooks;
import dev.spinup.controlplane.store.FleetStore;
import dev.spinup.controlplane.store.ScalingStore;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each region a provider grows at its warm headroom. One pass ({@link #tick}) first moves
 * every decision in flight on — asks the provider for a decided one (what a crashed replica left
 * too), marks a requested one fulfilled once the region has the hosts healthy, or failed past
 * the deadline — then, for a region with no decision in flight whose free room is below its
 * headroom, or where operations wait for room, and which is below its max, records one decision
 * sized for both ({@link ScaleUpSize}; a burst makes one), and asks the provider; last, it gives
 * back hosts that stayed empty past the region's cool-down ({@link ScaleIn}). A decision is
 * recorded before the provider is asked, and the provider is asked outside any transaction.
 */
public final class Scaler {
    private static final Logger log = LoggerFactory.getLogger(Scaler.class);
    private final Transactions db;
    private final CapacityProvider provider;
    private final FlavorCatalog flavors;
    private final Function<String, String> tokens;
    private final FleetTimings timings;
    private final Clock clock;
    private final Counter decided;
    private final Counter failed;
    private final Counter fulfilled;
    private final Counter nudgeFailures;
    private final ScaleIn scaleIn;
    private final BiConsumer<Tx, String> wake;
    private final StepHooks hooks;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicBoolean nudged = new AtomicBoolean();
    private volatile boolean closed;

    /** How long a nudge waits for the rest of a burst before its pass. */
    static final Duration NUDGE_DEBOUNCE = Duration.ofMillis(200);

    /**
     * @param provider where new hosts come from; null: none is offered (regions stay static)
     * @param tokens a one-time enrollment token for a region
     * @param timings a scale-up's deadline, and the pause after a failed one
     * @param wake makes an operation's job due now (the waiting ones, when a scale-up ends)
     * @param hooks test hooks at the decision's boundaries (production: none)
     * @param evacuate evacuates a host the provider takes away on its own (EvacuateHost, actor system)
     */
    public Scaler(
            Transactions db,
            CapacityProvider provider,
            FlavorCatalog flavors,
            Function<String, String> tokens,
            FleetTimings timings,
            BiConsumer<Tx, String> wake,
            StepHooks hooks,
            java.util.function.Consumer<java.util.UUID> evacuate,
            Clock clock,
            MeterRegistry meters) {
        this.wake = wake;
        this.hooks = hooks;
        this.db = db;
        this.provider = provider;
        this.flavors = flavors;
        this.tokens = tokens;
        this.timings = timings;
        this.clock = clock;
        this.decided = meters.counter("spinup_scale_ups", "outcome", "decided");
        this.failed = meters.counter("spinup_scale_ups", "outcome", "failed");
        this.fulfilled = meters.counter("spinup_scale_ups", "outcome", "fulfilled");
        this.scaleIn = new ScaleIn(db, provider, flavors, evacuate, clock, meters); // its counter exists from start
        this.nudgeFailures = meters.counter("spinup_background_failures", "loop", "scaler_nudge");
    }

    /**
     * Asks for a pass soon, on this replica: an operation began to wait for room. The cues of a
     * burst within {@link #NUDGE_DEBOUNCE} make one pass, and so one decision sized for all of them.
     */
    public void nudge() {
        if (provider == null || closed || !nudged.compareAndSet(false, true)) {
            return;
        }
        Thread.ofVirtual().name("scaler-nudge").start(() -> {
            try {
                Thread.sleep(NUDGE_DEBOUNCE);
                nudged.set(false);
                if (!closed) {
                    tick();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                nudgeFailures.increment();
                log.atWarn().setMessage("scaler_pass_failed").setCause(e).log();
            }
        });
    }

    /** No more passes on a nudge (the replica stops). */
    public void close() {
        closed = true;
    }

    /** One pass; nothing when this installation offers no provider. One pass at a time on a replica. */
    public void tick() {
        if (provider == null) {
            return;
        }
        lock.lock();
        try {
            pass();
        } finally {
            lock.unlock();
        }
    }

    private void pass() {
        List<String> regions = db.read(tx -> tx.fleet().regionsGrownBy(provider.name()));
        for (ScalingActivity a : db.read(tx -> tx.scaling().allInFlight())) {
            if (regions.contains(a.regionId())) {
                advance(a);
            }
        }
        for (String region : regions) {
            decide(region).ifPresent(this::advance);
            scaleIn.run(region);
        }
    }

    /**
     * A decision for the region if its waiting workspaces or its headroom need hosts, it is below
     * its max, it has none in flight, and its last one did not fail just now.
     */
    private Optional<ScalingActivity> decide(String region) {
        return db.inTransaction(tx -> {
            RegionReport r = RegionReport.of(tx, region, flavors).orElseThrow();
            if (r.scaling().isPresent()) {
                return Optional.empty(); // one decision in flight at a time
            }
            Instant now = clock.instant();
            if (tx.scaling()
                    .latest(region)
                    .filter(a -> a.state() == ScalingActivity.State.FAILED)
                    .filter(a ->
                            a.endedAt().plus(timings.retryAfterFailedScaleUp()).isAfter(now))
                    .isPresent()) {
                return Optional.empty(); // a provider that just refused (throttled, out of instances) is given time
            }
            RegionCapacity c = r.capacity();
            List<Envelope> waiting = tx.scaling().capacityWaits(region).stream()
                    .map(ScalingStore.CapacityWait::envelope)
                    .toList();
            int add = ScaleUpSize.hostsToAdd(
                    r.hostsFree(),
                    waiting,
                    c.headroomWorkspaces(),
                    flavors.envelopeOf(c.headroomFlavor()),
                    provider.hostCapacity());
            if (c.maxHosts() > 0) {
                add = Math.min(add, c.maxHosts() - r.activeHosts()); // max counts every host not retired
            }
            if (add <= 0) {
                return Optional.empty(); // nothing needed, or at its max
            }
            // counted in healthy hosts: an unhealthy or draining one neither helps nor blocks the goal
            int before = r.hostsIn(HostState.HEALTHY);
            int wanted = before + add;
            String reason = (waiting.isEmpty() ? "" : waiting.size() + " waiting for room, ")
                    + "headroom " + r.headroomFree() + " of " + c.headroomWorkspaces() + " "
                    + c.headroomFlavor().wire();
            Optional<ScalingActivity> made = tx.scaling().decide(Ids.newId(clock), region, before, wanted, reason, now);
            made.ifPresent(a -> decided.increment());
            return made;
        });
    }

    private void advance(ScalingActivity a) {
        switch (a.state()) {
            case DECIDED -> {
                hooks.atScaling("decided", a.regionId());
                String record;
                try {
                    record = provider.add(a, () -> tokens.apply(a.regionId()));
                } catch (RuntimeException e) {
                    end(a, false, provider.name() + " could not add hosts: " + e.getMessage());
                    return;
                }
                hooks.atScaling("provider_asked", a.regionId());
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
                Optional<String> failure = healthy >= a.hostsWanted() ? Optional.empty() : failure(a);
                if (healthy >= a.hostsWanted()) {
                    end(a, true, null);
                } else if (failure.isPresent()) {
                    end(a, false, failure.get());
                } else if (clock.instant().isAfter(a.requestedAt().plus(timings.scaleUpDeadline()))) {
                    end(
                            a,
                            false,
                            "only " + healthy + " of " + a.hostsWanted() + " hosts healthy after "
                                    + timings.scaleUpDeadline().toSeconds() + " s");
                }
            }
            case FULFILLED, FAILED -> {}
        }
    }

    /** What the provider says went wrong with a requested scale-up; asking it may fail too (tried again next pass). */
    private Optional<String> failure(ScalingActivity a) {
        try {
            return provider.failure(a.providerActivity());
        } catch (RuntimeException e) {
            log.atWarn()
                    .setMessage("scale_up_status_unknown")
                    .addKeyValue("region", a.regionId())
                    .addKeyValue("activity", a.providerActivity())
                    .addKeyValue("error", e.getMessage())
                    .log();
            return Optional.empty();
        }
    }

    /** Ends the activity; the operations waiting for room in its region look again at once. */
    private void end(ScalingActivity a, boolean done, String error) {
        if (db.inTransaction(tx -> {
            if (!tx.scaling().ended(a.id(), done, error, clock.instant())) {
                return false;
            }
            tx.scaling().capacityWaitJobs(a.regionId()).forEach(job -> wake.accept(tx, job));
            return true;
        })) {
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
