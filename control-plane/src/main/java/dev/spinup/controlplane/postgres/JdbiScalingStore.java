package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.core.ScalingActivity;
import dev.spinup.controlplane.store.ScalingStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** scaling_activities in PostgreSQL. */
@RegisterConstructorMapper(ScalingActivity.class)
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
}
