package dev.spinup.controlplane.operations;

import dev.spinup.controlplane.core.StepState;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationStatus;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.db.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * operations table. Writes to a running operation are conditional on its version, so a job that
 * db-scheduler runs twice cannot apply a step twice: the loser's update matches no row.
 */
public final class OperationStore {
    private static final String COLUMNS = """
            id, workspace_id, verb, status, request_id, request_fingerprint, params::text AS params, actor,
            step_state::text AS step_state, job_id, error_reason, error_message, requested_at, started_at,
            completed_at, version""";

    public void insert(Handle h, Operation op) {
        h.createUpdate("""
                        INSERT INTO operations (id, workspace_id, verb, status, request_id, request_fingerprint, params,
                            actor, step_state, job_id, requested_at, version)
                        VALUES (:id, :ws, :verb, :status, :requestId, :fingerprint, CAST(:params AS jsonb), :actor,
                            CAST(:stepState AS jsonb), :jobId, :requestedAt, 0)""")
                .bind("id", op.id())
                .bind("ws", op.workspaceId())
                .bind("verb", op.verb().wire())
                .bind("status", op.status().wire())
                .bind("requestId", op.requestId())
                .bind("fingerprint", op.requestFingerprint())
                .bind("params", Json.write(op.params()))
                .bind("actor", op.actor())
                .bind("stepState", Json.write(op.stepState()))
                .bind("jobId", op.jobId())
                .bind("requestedAt", Timestamp.from(op.requestedAt()))
                .execute();
    }

    public Optional<Operation> find(Handle h, UUID id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM operations WHERE id = :id")
                .bind("id", id).map((rs, ctx) -> map(rs)).findOne();
    }

    /** Locks the row: two runs of the same job serialize here. */
    public Optional<Operation> findForUpdate(Handle h, UUID id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM operations WHERE id = :id FOR UPDATE")
                .bind("id", id).map((rs, ctx) -> map(rs)).findOne();
    }

    /**
     * Holds {@code requestId} until this transaction ends: a concurrent call with the same id waits
     * here (lock class 1 of the two-key advisory locks; ids that hash alike merely wait for each other).
     */
    public void lockRequestId(Handle h, String requestId) {
        h.execute("SELECT pg_advisory_xact_lock(1, hashtext(?))", requestId);
    }

    public Optional<Operation> findByRequestId(Handle h, String requestId) {
        return h.createQuery("SELECT " + COLUMNS + " FROM operations WHERE request_id = :requestId")
                .bind("requestId", requestId).map((rs, ctx) -> map(rs)).findOne();
    }

    public List<Operation> list(Handle h, OperationFilter filter, UUID afterId, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM operations WHERE true");
        if (afterId != null) {
            sql.append(" AND id > :after");
        }
        if (filter.workspaceId() != null) {
            sql.append(" AND workspace_id = :ws");
        }
        if (filter.status() != null) {
            sql.append(" AND status = :status");
        }
        if (filter.verb() != null) {
            sql.append(" AND verb = :verb");
        }
        sql.append(" ORDER BY id LIMIT :limit");
        Query q = h.createQuery(sql.toString()).bind("limit", limit);
        if (afterId != null) {
            q.bind("after", afterId);
        }
        if (filter.workspaceId() != null) {
            q.bind("ws", filter.workspaceId());
        }
        if (filter.status() != null) {
            q.bind("status", filter.status().wire());
        }
        if (filter.verb() != null) {
            q.bind("verb", filter.verb().wire());
        }
        return q.map((rs, ctx) -> map(rs)).list();
    }

    /** Persists progress of a non-terminal operation. False if another writer got there first. */
    public boolean saveProgress(Handle h, Operation op, OperationStatus status, StepState state, Instant startedAt) {
        return h.createUpdate("""
                        UPDATE operations SET status = :status, step_state = CAST(:state AS jsonb),
                            started_at = COALESCE(started_at, :startedAt), version = version + 1, woken_at = NULL
                        WHERE id = :id AND version = :version AND status IN ('pending', 'running')""")
                .bind("id", op.id())
                .bind("version", op.version())
                .bind("status", status.wire())
                .bind("state", Json.write(state))
                .bind("startedAt", startedAt == null ? null : Timestamp.from(startedAt))
                .execute() == 1;
    }

    /**
     * Something the operation waits for was recorded in this transaction: marks it woken, taking the
     * operation row's lock (so this waits for a step in progress, and a job finishing its run waits
     * for this). False when the operation has ended.
     */
    public boolean markWoken(Handle h, String jobId, Instant now) {
        return h.createUpdate("UPDATE operations SET woken_at = :now WHERE job_id = :job AND completed_at IS NULL")
                .bind("job", jobId).bind("now", Timestamp.from(now)).execute() == 1;
    }

    /**
     * Locks the operation row and tells whether it was woken since its last step: the job, ending a
     * run that waits, then runs again at once instead of at its deadline.
     */
    public boolean lockWoken(Handle h, UUID id) {
        return h.createQuery("SELECT woken_at IS NOT NULL FROM operations WHERE id = :id FOR UPDATE")
                .bind("id", id).mapTo(Boolean.class).findOne().orElse(false);
    }

    /** Moves a running operation to a terminal status. False if another writer got there first. */
    public boolean finish(Handle h, Operation op, OperationStatus status, StepState state, String errorReason,
                          String errorMessage, Instant now) {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException(status + " is not terminal");
        }
        return h.createUpdate("""
                        UPDATE operations SET status = :status, step_state = CAST(:state AS jsonb),
                            error_reason = :reason, error_message = :message, completed_at = :now,
                            started_at = COALESCE(started_at, :now), version = version + 1
                        WHERE id = :id AND version = :version AND status IN ('pending', 'running')""")
                .bind("id", op.id())
                .bind("version", op.version())
                .bind("status", status.wire())
                .bind("state", Json.write(state))
                .bind("reason", errorReason)
                .bind("message", errorMessage)
                .bind("now", Timestamp.from(now))
                .execute() == 1;
    }

    private static Operation map(ResultSet rs) throws SQLException {
        Timestamp started = rs.getTimestamp("started_at");
        Timestamp completed = rs.getTimestamp("completed_at");
        return new Operation(
                rs.getObject("id", UUID.class),
                rs.getObject("workspace_id", UUID.class),
                OperationVerb.fromWire(rs.getString("verb")),
                OperationStatus.fromWire(rs.getString("status")),
                rs.getString("request_id"),
                rs.getString("request_fingerprint"),
                Json.readStringMap(rs.getString("params")),
                rs.getString("actor"),
                Json.read(rs.getString("step_state"), StepState.class),
                rs.getString("job_id"),
                rs.getString("error_reason"),
                rs.getString("error_message"),
                rs.getTimestamp("requested_at").toInstant(),
                started == null ? null : started.toInstant(),
                completed == null ? null : completed.toInstant(),
                rs.getInt("version"));
    }

    public record OperationFilter(UUID workspaceId, OperationStatus status, OperationVerb verb) {}
}
