package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.ScalingActivity;
import dev.spinup.controlplane.engine.Step;
import dev.spinup.controlplane.engine.StepContext;
import dev.spinup.controlplane.engine.StepOutcome;
import dev.spinup.controlplane.store.ScalingStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * The step {@value #STEP} of a create or restore that found no room in an elastic region when it
 * was accepted. Each run tries placement again in the step's transaction; a host found is taken
 * there and then ({@code take}), and the verb goes on. Until then the operation records that it
 * waits (what the scaler sizes its next decision by, so a burst makes one decision), says what it
 * waits on — the region's scaling activity and its age — and looks again every {@code lookAgain} (1 s) or when
 * a scale-up is fulfilled. Past {@code timeout} it fails with NO_CAPACITY, naming the activity.
 *
 * <p>Undo: none — nothing is taken until the transaction that also finishes the step.
 */
public final class CapacityWait {
    public static final String STEP = "capacity";
    /** The operation's param saying it waits for capacity before its first step. */
    public static final String PARAM = "awaiting_capacity";
    /** The step's output: the host it found. */
    public static final String HOST = "host_id";

    private final Placement placement;
    private final Duration timeout;
    private final Duration lookAgain;
    private final Runnable wanted;
    private final Timer firstPlacement;

    /**
     * @param timeout how long an operation may wait for room
     * @param lookAgain how often a waiting operation looks again by itself
     * @param wanted told (after the commit) when an operation starts to wait: the scaler's cue
     */
    public CapacityWait(
            Placement placement, Duration timeout, Duration lookAgain, Runnable wanted, MeterRegistry meters) {
        this.placement = placement;
        this.timeout = timeout;
        this.lookAgain = lookAgain;
        this.wanted = wanted;
        this.firstPlacement = Timer.builder("spinup_scale_up_first_placement")
                .description("from a scale-up's request to the first workspace placed on one of its new hosts")
                .publishPercentileHistogram()
                .register(meters);
    }

    /** Whether an operation waits for capacity before its first step. */
    public static boolean awaiting(Map<String, String> params) {
        return Boolean.parseBoolean(params.get(PARAM));
    }

    /** The host a create or restore was placed on: when accepted, or by this step. */
    public static UUID host(StepContext ctx) {
        String host = ctx.operation().params().get(HOST);
        return UUID.fromString(host != null ? host : ctx.state().outputs().get(HOST));
    }

    /** What undoes {@link #moveInActive}: the download that follows it gives the host back. */
    public static final String UNDONE_BY_DOWNLOAD =
            "none: the host is taken in the step's last transaction; the undo of download gives it back";

    /**
     * The step for a workspace that comes to the host it finds from a snapshot (a restore, a
     * recovery): it moves there, held as active, in the step's transaction.
     */
    public Step moveInActive() {
        return step((ctx, host) -> ctx.tx()
                .workspaces()
                .moveTo(ctx.workspace().id(), host, dev.spinup.controlplane.core.WorkspaceState.ACTIVE, ctx.now()));
    }

    /** The step; {@code take} puts the workspace on the host found, in the step's transaction. */
    public Step step(BiConsumer<StepContext, UUID> take) {
        return Step.of(STEP, timeout, ctx -> {
            ScalingStore scaling = ctx.tx().scaling();
            UUID operation = ctx.operation().id();
            String region = ctx.workspace().regionId();
            Optional<UUID> host =
                    placement.place(ctx.tx(), region, ctx.workspace().envelope());
            Optional<ScalingActivity> activity = scaling.latest(region);
            if (host.isPresent()) {
                scaling.capacityWaitEnded(operation);
                take.accept(ctx, host.get());
                activity.ifPresent(a -> recordFirstPlacement(ctx, a, host.get()));
                return new StepOutcome.Done(Map.of(HOST, host.get().toString()));
            }
            Instant deadline = ctx.step().startedAt().plus(timeout);
            if (!ctx.now().isBefore(deadline)) {
                scaling.capacityWaitEnded(operation);
                return new StepOutcome.Fail(
                        ErrorReason.NO_CAPACITY,
                        "no host in region " + region + " had room within " + timeout.toSeconds() + " s"
                                + activity.map(a -> "; " + describe(a, ctx.now()))
                                        .orElse("; no scale-up was made"));
            }
            // the wait is recorded once, with the step's first wait (they commit together): a look
            // again writes nothing
            if (ctx.step().waitingSince() == null
                    && scaling.waitForCapacity(new ScalingStore.CapacityWait(
                            operation, region, ctx.workspace().envelope(), ctx.now()))) {
                ctx.tx().afterCommit(wanted);
            }
            String waitingOn = "a new host in region " + region
                    // one in flight, or one that failed (the next comes after a pause); a fulfilled one's hosts were
                    // taken
                    + activity.filter(a -> a.state() != ScalingActivity.State.FULFILLED)
                            .map(a -> ": " + describe(a, ctx.now()))
                            .orElse(": a scale-up to be decided");
            return new StepOutcome.Wait(waitingOn, deadline, ctx.now().plus(lookAgain));
        });
    }

    /**
     * The time from a scale-up's request to the first placement on a host it brought: a host that
     * turned healthy after the request and holds only this workspace.
     */
    private void recordFirstPlacement(StepContext ctx, ScalingActivity a, UUID host) {
        if (a.requestedAt() == null) {
            return;
        }
        boolean newHost = ctx.tx()
                .fleet()
                .findHost(host)
                .filter(h -> !h.stateSince().isBefore(a.requestedAt()))
                .isPresent();
        if (newHost && ctx.tx().workspaces().placedOn(host).size() == 1) {
            firstPlacement.record(Duration.between(a.requestedAt(), ctx.now()));
        }
    }

    /** "scaling activity X, requested 40 s ago" (or decided, or how it ended). */
    private static String describe(ScalingActivity a, Instant now) {
        String name = a.providerActivity() != null ? a.providerActivity() : a.id().toString();
        return switch (a.state()) {
            case DECIDED -> "scaling activity " + name + ", decided " + ago(a.decidedAt(), now);
            case REQUESTED -> "scaling activity " + name + ", requested " + ago(a.requestedAt(), now);
            case FULFILLED -> "scaling activity " + name + " fulfilled " + ago(a.endedAt(), now);
            case FAILED -> "scaling activity " + name + " failed " + ago(a.endedAt(), now) + ": " + a.error();
        };
    }

    private static String ago(Instant at, Instant now) {
        return Duration.between(at, now).toSeconds() + " s ago";
    }
}
