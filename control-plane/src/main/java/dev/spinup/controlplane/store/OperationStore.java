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
     * the operation row's lock (so this waits for a step in progress, and a job finishing its run
     * waits for this). False when the operation has ended.
     */
    boolean markWoken(String jobId, Instant now);

    /**
     * Locks the operation row and tells whether it was woken since its last step: the job, ending
     * a run that waits, then runs again at once instead of at its deadline.
     */
    boolean lockWoken(UUID id);

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
}
