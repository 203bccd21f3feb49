package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationStatus;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.StepState;
import dev.spinup.controlplane.store.OperationStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** operations in PostgreSQL. */
@RegisterRowMapper(JdbiOperationStore.OperationMapper.class)
interface JdbiOperationStore extends OperationStore {
    String COLUMNS = """
            id, workspace_id, verb, flavor, status, request_id, request_fingerprint, params::text AS params, actor,
            step_state::text AS step_state, job_id, error_reason, error_message, requested_at, started_at,
            completed_at, version""";

    @Override
    default void insert(Operation op) {
        insert(op, Json.write(op.params()), Json.write(op.stepState()));
    }

    @SqlUpdate("""
            INSERT INTO operations (id, workspace_id, verb, flavor, status, request_id, request_fingerprint, params,
                actor, step_state, job_id, requested_at, version)
            VALUES (:op.id, :op.workspaceId, :op.verb, :op.flavor, :op.status, :op.requestId, :op.requestFingerprint,
                CAST(:params AS jsonb), :op.actor, CAST(:stepState AS jsonb), :op.jobId, :op.requestedAt, 0)""")
    void insert(@BindMethods("op") Operation op, String params, String stepState);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM operations WHERE id = :id")
    Optional<Operation> find(UUID id);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM operations WHERE id = :id FOR UPDATE")
    Optional<Operation> findForUpdate(UUID id);

    @Override
    default void lockRequestId(String requestId) {
        lockRequestIdQuery(requestId);
    }

    /** Lock class 1 of the two-key advisory locks. */
    @SqlQuery("SELECT 1 FROM (SELECT pg_advisory_xact_lock(1, hashtext(:requestId))) AS locked")
    int lockRequestIdQuery(String requestId);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM operations WHERE request_id = :requestId")
    Optional<Operation> findByRequestId(String requestId);

    @Override
    default List<Operation> list(OperationFilter filter, UUID afterId, int limit) {
        return list(filter.workspaceId(), filter.status(), filter.verb(), afterId, limit);
    }

    @SqlQuery("SELECT " + COLUMNS + """
             FROM operations
            WHERE (CAST(:afterId AS uuid) IS NULL OR id > :afterId)
              AND (CAST(:workspaceId AS uuid) IS NULL OR workspace_id = :workspaceId)
              AND (CAST(:status AS text) IS NULL OR status = :status)
              AND (CAST(:verb AS text) IS NULL OR verb = :verb)
            ORDER BY id LIMIT :limit""")
    List<Operation> list(UUID workspaceId, OperationStatus status, OperationVerb verb, UUID afterId, int limit);

    @Override
    default boolean saveProgress(Operation op, OperationStatus status, StepState state, Instant startedAt) {
        return saveProgress(op.id(), op.version(), status, Json.write(state), startedAt);
    }

    @SqlUpdate("""
            UPDATE operations SET status = :status, step_state = CAST(:state AS jsonb),
                started_at = COALESCE(started_at, CAST(:startedAt AS timestamptz)), version = version + 1,
                woken_at = NULL
            WHERE id = :id AND version = :version AND status IN ('pending', 'running')""")
    boolean saveProgress(UUID id, int version, OperationStatus status, String state, Instant startedAt);

    @Override
    default Optional<Woken> markWoken(String jobId, Instant now) {
        return markWokenQuery(jobId, now).map(r -> new Woken(r.verb(), Json.readStringMap(r.params())));
    }

    record WokenRow(OperationVerb verb, String params) {}

    @SqlQuery("UPDATE operations SET woken_at = :now WHERE job_id = :jobId AND completed_at IS NULL"
            + " RETURNING verb, params::text AS params")
    Optional<WokenRow> markWokenQuery(String jobId, Instant now);

    @Override
    default boolean finish(
            Operation op,
            OperationStatus status,
            StepState state,
            String errorReason,
            String errorMessage,
            Instant now) {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException(status + " is not terminal");
        }
        return finish(op.id(), op.version(), status, Json.write(state), errorReason, errorMessage, now);
    }

    @SqlUpdate("""
            UPDATE operations SET status = :status, step_state = CAST(:state AS jsonb),
                error_reason = :errorReason, error_message = :errorMessage, completed_at = :now,
                started_at = COALESCE(started_at, :now), version = version + 1
            WHERE id = :id AND version = :version AND status IN ('pending', 'running')""")
    boolean finish(
            UUID id,
            int version,
            OperationStatus status,
            String state,
            String errorReason,
            String errorMessage,
            Instant now);

    @Override
    @SqlQuery("""
            SELECT o.verb, o.flavor, count(*) AS samples,
                   make_interval(secs => percentile_cont(0.5) WITHIN GROUP
                       (ORDER BY extract(epoch FROM o.completed_at - o.requested_at))) AS p50,
                   make_interval(secs => percentile_cont(0.95) WITHIN GROUP
                       (ORDER BY extract(epoch FROM o.completed_at - o.requested_at))) AS p95
            FROM operations o
            WHERE o.status = 'succeeded' AND o.completed_at >= :since
            GROUP BY o.verb, o.flavor ORDER BY o.verb, o.flavor""")
    List<DurationStat> durationsSince(Instant since);

    /**
     * db-scheduler's own table: its client lists executions but cannot count the due ones, and a
     * gauge must not fetch the whole queue.
     */
    @Override
    default DueJobs dueJobs(Instant now) {
        return dueJobsQuery(now);
    }

    @SqlQuery("""
            SELECT count(*) AS count,
                   COALESCE(CAST(:now AS timestamptz) - min(execution_time), interval '0') AS oldest
            FROM scheduled_tasks WHERE picked = false AND execution_time <= CAST(:now AS timestamptz)""")
    DueJobs dueJobsQuery(Instant now);

    // The job rows below are db-scheduler's own (task "operation", see OperationEngine), written as
    // its JdbcTaskRepository writes them, for runs it does not start itself.

    @Override
    @SqlQuery("""
            UPDATE scheduled_tasks SET picked = true, picked_by = :replica, last_heartbeat = :now,
                version = version + 1
            WHERE task_name = 'operation' AND task_instance = :jobId AND picked = false
            RETURNING version""")
    Optional<Long> claimJob(String jobId, String replica, Instant now);

    @Override
    @SqlUpdate("""
            UPDATE scheduled_tasks SET picked = false, picked_by = NULL, last_heartbeat = NULL, execution_time = :at,
                last_success = CASE WHEN :failed THEN last_success ELSE CAST(:now AS timestamptz) END,
                last_failure = CASE WHEN :failed THEN CAST(:now AS timestamptz) ELSE last_failure END,
                consecutive_failures = CASE WHEN :failed THEN COALESCE(consecutive_failures, 0) + 1 ELSE 0 END,
                version = version + 1
            WHERE task_name = 'operation' AND task_instance = :jobId AND version = :version""")
    boolean releaseJob(String jobId, long version, Instant at, boolean failed, Instant now);

    @Override
    @SqlUpdate("DELETE FROM scheduled_tasks WHERE task_name = 'operation' AND task_instance = :jobId"
            + " AND version = :version")
    boolean removeJob(String jobId, long version);

    @Override
    @SqlUpdate("UPDATE scheduled_tasks SET last_heartbeat = :now WHERE task_name = 'operation'"
            + " AND task_instance = :jobId AND version = :version AND picked")
    boolean heartbeatJob(String jobId, long version, Instant now);

    final class OperationMapper implements RowMapper<Operation> {
        @Override
        public Operation map(ResultSet rs, StatementContext ctx) throws SQLException {
            return new Operation(
                    rs.getObject("id", UUID.class),
                    rs.getObject("workspace_id", UUID.class),
                    Rows.get(rs, ctx, "verb", OperationVerb.class),
                    Rows.get(rs, ctx, "flavor", Flavor.class),
                    Rows.get(rs, ctx, "status", OperationStatus.class),
                    rs.getString("request_id"),
                    rs.getString("request_fingerprint"),
                    Json.readStringMap(rs.getString("params")),
                    rs.getString("actor"),
                    Json.read(rs.getString("step_state"), StepState.class),
                    rs.getString("job_id"),
                    rs.getString("error_reason"),
                    rs.getString("error_message"),
                    Rows.get(rs, ctx, "requested_at", Instant.class),
                    Rows.get(rs, ctx, "started_at", Instant.class),
                    Rows.get(rs, ctx, "completed_at", Instant.class),
                    rs.getInt("version"));
        }
    }
}
