package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.store.AuditLog;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** audit_log in PostgreSQL (a trigger refuses updates and deletes). */
interface JdbiAuditLog extends AuditLog {
    @Override
    default void append(
            UUID workspaceId, UUID operationId, String eventType, Map<String, String> data, String actor, Instant now) {
        append(workspaceId, operationId, eventType, Json.write(data), actor, now);
    }

    @SqlUpdate("""
            INSERT INTO audit_log (workspace_id, operation_id, event_type, event_data, actor, created_at)
            VALUES (:workspaceId, :operationId, :eventType, CAST(:data AS jsonb), :actor, :now)""")
    void append(UUID workspaceId, UUID operationId, String eventType, String data, String actor, Instant now);
}
