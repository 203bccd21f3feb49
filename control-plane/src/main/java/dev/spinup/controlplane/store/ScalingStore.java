package dev.spinup.controlplane.store;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ScalingActivity;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Scaling decisions, at most one in flight per region (a unique index holds it, across replicas). */
public interface ScalingStore {
    /**
     * Records a decision unless the region has one in flight: the new activity (state decided),
     * or empty when another (perhaps another replica's, at the same moment) holds the region.
     */
    Optional<ScalingActivity> decide(
            UUID id, String regionId, int hostsBefore, int hostsWanted, String reason, Instant now);

    /** The region's decision in flight (decided or requested), if any. */
    Optional<ScalingActivity> inFlight(String regionId);

    /** Every decision in flight, oldest first (what a crashed replica left is among them). */
    List<ScalingActivity> allInFlight();

    /** The provider said yes: decided to requested. False if it is no longer decided. */
    boolean requested(UUID id, String providerActivity, Instant now);

    /** Ends an activity in flight, fulfilled or failed (with why). False if it had ended. */
    boolean ended(UUID id, boolean fulfilled, String error, Instant now);

    /** The region's newest activity, in flight or ended, if it ever had one. */
    Optional<ScalingActivity> latest(String regionId);

    /** An operation waiting for room in a region, and for how much. */
    record CapacityWait(UUID operationId, String regionId, Envelope envelope, Instant since) {}

    /**
     * Records that {@code operationId} waits for room in its region (the scaler sizes its next
     * decision by these). False if it was already recorded.
     */
    boolean waitForCapacity(CapacityWait wait);

    /** The operation waits no more (it was placed, or gave up). */
    void capacityWaitEnded(UUID operationId);

    /** The operations waiting for room in {@code regionId}, oldest first. */
    List<CapacityWait> capacityWaits(String regionId);

    /** The db-scheduler job ids of the operations waiting for room in {@code regionId}. */
    List<String> capacityWaitJobs(String regionId);

    /** The db-scheduler job ids of the operations waiting for room in the regions of {@code hosts}. */
    List<String> capacityWaitJobsNear(java.util.Set<UUID> hosts);
}
