package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.engine.StepContext;
import dev.spinup.controlplane.store.PlacementStore;
import dev.spinup.controlplane.store.Tx;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Picks a host for a workspace inside the caller's transaction, which then inserts the workspace:
 * the host row stays locked until commit, so concurrent creates never oversubscribe it (see
 * {@link PlacementStore}). A host is a candidate while it is healthy and its last heartbeat is
 * within the lease.
 */
public final class Placement {
    private final Duration heartbeatLease;
    private final Clock clock;
    private final Timer timer;
    private final Counter stalePicks;

    public Placement(Duration heartbeatLease, Clock clock, MeterRegistry meters) {
        this.heartbeatLease = heartbeatLease;
        this.clock = clock;
        this.timer = Timer.builder("spinup_placement_duration").register(meters);
        this.stalePicks = Counter.builder("spinup_placement_stale_picks")
                .description("hosts placement locked on a stale allocation and found full on re-reading")
                .register(meters);
    }

    /**
     * Undoes a placement held from acceptance (a restore, a recovery, an evacuation): the
     * workspace goes back to the host the operation's param {@code param} names.
     */
    public static Step release(String param) {
        return Step.local(
                "release", ctx -> ctx.tx().workspaces().moveTo(ctx.workspace().id(), hostParam(ctx, param), ctx.now()));
    }

    /** The host the operation's param {@code param} names. */
    public static UUID hostParam(StepContext ctx, String param) {
        return UUID.fromString(ctx.operation().params().get(param));
    }

    public Optional<UUID> place(Tx tx, String regionId, Envelope envelope) {
        return timer.record(() -> {
            PlacementStore.Choice choice =
                    tx.placement().place(regionId, envelope, clock.instant().minus(heartbeatLease));
            stalePicks.increment(choice.stalePicks());
            return choice.host();
        });
    }

    /** NO_CAPACITY: no healthy host of a static region has room for {@code envelope}. */
    public static SpinUpException noCapacity(String regionId, Envelope envelope) {
        return new SpinUpException(
                SpinUpException.Kind.RESOURCE_EXHAUSTED,
                ErrorReason.NO_CAPACITY,
                "no healthy host in region " + regionId + " has room for " + envelope.vcpu() + " vCPU / "
                        + envelope.ramGb() + " GiB RAM / " + envelope.diskGb() + " GiB disk",
                Map.of(
                        "region",
                        regionId,
                        "vcpu",
                        Integer.toString(envelope.vcpu()),
                        "ramGb",
                        Integer.toString(envelope.ramGb()),
                        "diskGb",
                        Integer.toString(envelope.diskGb())));
    }

    /** What the host has left for {@code workspace}, with the host row locked until the caller's commit. */
    public Envelope roomOnHost(Tx tx, UUID hostId, UUID workspace) {
        return tx.placement().roomOnHost(hostId, workspace);
    }
}
