package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.store.CommandStore;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** agent_commands in PostgreSQL. */
interface JdbiCommandStore extends CommandStore {
    @Override
    @SqlUpdate("""
            INSERT INTO agent_commands (command_id, host_id, operation_id, kind, command, created_at)
            VALUES (:commandId, :hostId, :operationId, :kind, :command, :now)
            ON CONFLICT (command_id) DO NOTHING""")
    boolean enqueue(String commandId, UUID hostId, UUID operationId, String kind, byte[] command, Instant now);

    @Override
    @SqlQuery("""
            SELECT command_id, host_id, operation_id, state, command, result, created_at, sent_at
            FROM agent_commands WHERE command_id = :commandId""")
    Optional<Stored> find(String commandId);

    @Override
    @SqlQuery("SELECT host_id FROM agent_commands WHERE command_id = :commandId")
    Optional<UUID> hostOf(String commandId);

    @Override
    default List<Outstanding> outstanding(UUID hostId, Collection<String> alreadySent) {
        return outstanding(hostId, alreadySent.toArray(String[]::new));
    }

    @SqlQuery("""
            SELECT command_id, CASE WHEN command_id = ANY(:sent) THEN NULL ELSE command END AS command
            FROM agent_commands
            WHERE host_id = :hostId AND state IN ('pending', 'acked') ORDER BY created_at, command_id""")
    List<Outstanding> outstanding(UUID hostId, String[] sent);

    @Override
    @SqlQuery("""
            SELECT DISTINCT o.job_id FROM agent_commands c JOIN operations o ON o.id = c.operation_id
            WHERE c.host_id = :hostId AND c.state IN ('pending', 'acked') AND o.status IN ('pending', 'running')""")
    List<String> jobsAwaiting(UUID hostId);

    @Override
    @SqlUpdate("""
            UPDATE agent_commands SET sent_at = :now, send_count = send_count + 1, sent_bytes = :bytes
            WHERE command_id = :commandId""")
    void markSent(String commandId, int bytes, Instant now);

    @Override
    @SqlUpdate("""
            UPDATE agent_commands SET state = 'acked', acked_at = :now
            WHERE command_id = :commandId AND host_id = :hostId AND state = 'pending'""")
    void markAccepted(UUID hostId, String commandId, Instant now);

    @Override
    @SqlQuery("""
            UPDATE agent_commands c SET state = :state, result = :result, completed_at = :now
            WHERE c.command_id = :commandId AND c.host_id = :hostId AND c.completed_at IS NULL
            RETURNING (SELECT o.job_id FROM operations o WHERE o.id = c.operation_id)""")
    Optional<String> recordResult(UUID hostId, String commandId, String state, byte[] result, Instant now);
}
