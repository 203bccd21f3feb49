package dev.spinup.controlplane.store;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** The append-only audit log (the database refuses updates and deletes). Event data never holds PII. */
public interface AuditLog {
    void append(
            UUID workspaceId, UUID operationId, String eventType, Map<String, String> data, String actor, Instant now);
}
