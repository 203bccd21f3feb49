package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.store.RefusedEventStore;
import java.time.Instant;
import java.util.UUID;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** refused_agent_events in PostgreSQL. */
interface JdbiRefusedEventStore extends RefusedEventStore {
    @Override
    @SqlUpdate("""
            INSERT INTO refused_agent_events (host_id, seq, kind, reason, message, event, refused_at)
            VALUES (:hostId, :seq, :kind, :reason, :message, :event, :now)""")
    void insert(UUID hostId, long seq, String kind, String reason, String message, byte[] event, Instant now);
}
