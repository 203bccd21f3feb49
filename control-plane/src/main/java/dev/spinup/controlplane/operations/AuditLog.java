package dev.spinup.controlplane.operations;

import dev.spinup.controlplane.db.Json;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/** Appends to audit_log (append-only in the database). Event data never holds PII. */
public final class AuditLog {
    public void append(Handle h, UUID workspaceId, UUID operationId, String eventType, Map<String, String> data,
                       String actor, Instant now) {
        h.createUpdate("""
                        INSERT INTO audit_log (workspace_id, operation_id, event_type, event_data, actor, created_at)
                        VALUES (:ws, :op, :type, CAST(:data AS jsonb), :actor, :now)""")
                .bind("ws", workspaceId)
                .bind("op", operationId)
                .bind("type", eventType)
                .bind("data", Json.write(data))
                .bind("actor", actor)
                .bind("now", Timestamp.from(now))
                .execute();
    }
}
