package dev.spinup.controlplane.store;

import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationStatus;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.StepState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The operations. Writes to a running operation are conditional on its version, so a job that
 * db-scheduler runs twice cannot apply a step twice: the loser's update matches no row.
 */
public interface OperationStore {
    record OperationFilter(UUID workspaceId, OperationStatus status, OperationVerb verb) {}

    /** How long successful operations of one verb and flavor took, request to completion. */
    record DurationStat(OperationVerb verb, Flavor flavor, Duration p50, Duration p95, int samples) {}

    /** db-scheduler executions due and not picked by any replica, and how long the oldest has waited. */
    record DueJobs(long count, Duration oldest) {}

    void insert(Operation op);

    Optional<Operation> find(UUID id);

    /** Locks the row: two runs of the same job serialize here. */
    Optional<Operation> findForUpdate(UUID id);

    /**
     * Holds {@code requestId} until this transaction ends: a concurrent call with the same id
     * waits here (ids that hash alike merely wait for each other).
     */
    void lockRequestId(String requestId);

    Optional<Operation> findByRequestId(String requestId);

    /** A page in id order, after {@code afterId} when given. */
    List<Operation> list(OperationFilter filter, UUID afterId, int limit);

    /** Persists progress of a non-terminal operation. False if another writer got there first. */
    boolean saveProgress(Operation op, OperationStatus status, StepState state, Instant startedAt);

    /**
     * Something the operation waits for was recorded in this transaction: marks it woken, taking
     * the operation row's lock (so this waits for a step in progress, whose transaction may let go
     * of the job). Empty when the operation has ended; else its verb and params (a run started for
     * it needs no read of its own to join the operation's trace).
     *
     * <p>This release no longer reads the mark ({@code woken_at}, cleared by {@link #saveProgress}):
     * it is kept for replicas of the previous release during a rolling upgrade, which read it as
     * their runs end to run again at once. It can go one release later.
     */
    Optional<Woken> markWoken(String jobId, Instant now);

    /** An operation marked woken: what a run needs to know of it before its first step. */
    record Woken(OperationVerb verb, java.util.Map<String, String> params) {}

    /** Moves a running operation to a terminal status. False if another writer got there first. */
    boolean finish(
            Operation op,
            OperationStatus status,
            StepState state,
            String errorReason,
            String errorMessage,
            Instant now);

    /** Per verb and flavor, over the operations that succeeded since {@code since}. */
    List<DurationStat> durationsSince(Instant since);

    /** The job queue as db-scheduler keeps it. */
    DueJobs dueJobs(Instant now);

    /**
     * Claims the operation's job for a run on {@code replica}, as db-scheduler's own pick does
     * (picked, by whom, a first heartbeat, the version bumped), whenever it is due. Empty when the
     * job is picked already (a run is under way somewhere) or gone. Returns the version the run
     * holds: its heartbeats and its release match it.
     */
    Optional<Long> claimJob(String jobId, String replica, Instant now);

    /**
     * Ends a run: the job is no longer picked and is due at {@code at}; {@code failed} counts a
     * failed run as db-scheduler does. False when the version moved on: the run was taken for dead
     * (no heartbeat) and another replica has the job now.
     */
    boolean releaseJob(String jobId, long version, Instant at, boolean failed, Instant now);

    /** Ends the job of an operation that has ended. False when the version moved on (see releaseJob). */
    boolean removeJob(String jobId, long version);

    /** The heartbeat of a run claimed by {@link #claimJob}, so no replica takes it for dead. */
    boolean heartbeatJob(String jobId, long version, Instant now);
}
