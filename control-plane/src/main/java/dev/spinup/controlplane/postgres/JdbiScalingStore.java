package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ScalingActivity;
import dev.spinup.controlplane.store.ScalingStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** scaling_activities in PostgreSQL. */
interface JdbiScalingStore extends ScalingStore {
    String COLUMNS = "id, region_id, state, hosts_before, hosts_wanted, reason, provider_activity, error,"
            + " decided_at, requested_at, ended_at";

    @Override
    @SqlQuery("INSERT INTO scaling_activities (id, region_id, state, hosts_before, hosts_wanted, reason, decided_at)"
            + " VALUES (:id, :regionId, 'decided', :hostsBefore, :hostsWanted, :reason, :now)"
            + " ON CONFLICT (region_id) WHERE state IN ('decided', 'requested') DO NOTHING"
            + " RETURNING " + COLUMNS)
    Optional<ScalingActivity> decide(
            UUID id, String regionId, int hostsBefore, int hostsWanted, String reason, Instant now);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM scaling_activities"
            + " WHERE region_id = :regionId AND state IN ('decided', 'requested')")
    Optional<ScalingActivity> inFlight(String regionId);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM scaling_activities WHERE state IN ('decided', 'requested')"
            + " ORDER BY decided_at, id")
    List<ScalingActivity> allInFlight();

    @Override
    @SqlUpdate("UPDATE scaling_activities SET state = 'requested', provider_activity = :providerActivity,"
            + " requested_at = :now WHERE id = :id AND state = 'decided'")
    boolean requested(UUID id, String providerActivity, Instant now);

    @Override
    @SqlUpdate("UPDATE scaling_activities SET state = CASE WHEN :fulfilled THEN 'fulfilled' ELSE 'failed' END,"
            + " error = :error, ended_at = :now WHERE id = :id AND state IN ('decided', 'requested')")
    boolean ended(UUID id, boolean fulfilled, String error, Instant now);

    @Override
    @SqlQuery("SELECT " + COLUMNS + " FROM scaling_activities WHERE region_id = :regionId"
            + " ORDER BY decided_at DESC, id DESC LIMIT 1")
    Optional<ScalingActivity> latest(String regionId);

    @Override
    default boolean waitForCapacity(CapacityWait wait) {
        return insertWait(
                wait.operationId(),
                wait.regionId(),
                wait.envelope().vcpu(),
                wait.envelope().ramGb(),
                wait.envelope().diskGb(),
                wait.since());
    }

    @SqlUpdate("INSERT INTO capacity_waits (operation_id, region_id, vcpu, ram_gb, disk_gb, since)"
            + " VALUES (:operationId, :regionId, :vcpu, :ramGb, :diskGb, :since) ON CONFLICT DO NOTHING")
    boolean insertWait(UUID operationId, String regionId, int vcpu, int ramGb, int diskGb, Instant since);

    @Override
    @SqlUpdate("DELETE FROM capacity_waits WHERE operation_id = :operationId")
    void capacityWaitEnded(UUID operationId);

    @Override
    @SqlQuery("SELECT operation_id, region_id, vcpu, ram_gb, disk_gb, since FROM capacity_waits"
            + " WHERE region_id = :regionId ORDER BY since, operation_id")
    @RegisterRowMapper(WaitMapper.class)
    List<CapacityWait> capacityWaits(String regionId);

    @Override
    @SqlQuery("SELECT o.job_id FROM capacity_waits w JOIN operations o ON o.id = w.operation_id"
            + " WHERE w.region_id = :regionId ORDER BY w.since")
    List<String> capacityWaitJobs(String regionId);

    @Override
    default List<String> capacityWaitJobsNear(java.util.Set<UUID> hosts) {
        return capacityWaitJobsNear(hosts.toArray(UUID[]::new));
    }

    @SqlQuery("SELECT o.job_id FROM capacity_waits w JOIN operations o ON o.id = w.operation_id"
            + " WHERE w.region_id IN (SELECT region_id FROM hosts WHERE id = ANY(:hosts)) ORDER BY w.since")
    List<String> capacityWaitJobsNear(UUID[] hosts);

    final class WaitMapper implements RowMapper<CapacityWait> {
        @Override
        public CapacityWait map(ResultSet rs, StatementContext ctx) throws SQLException {
            return new CapacityWait(
                    rs.getObject("operation_id", UUID.class),
                    rs.getString("region_id"),
                    new Envelope(rs.getInt("vcpu"), rs.getInt("ram_gb"), rs.getInt("disk_gb")),
                    Rows.get(rs, ctx, "since", Instant.class));
        }
    }
}
