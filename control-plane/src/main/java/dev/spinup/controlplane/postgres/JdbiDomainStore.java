package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.store.DomainStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** workspace_domains in PostgreSQL. */
interface JdbiDomainStore extends DomainStore {
    @Override
    @SqlUpdate("""
            INSERT INTO workspace_domains (id, workspace_id, domain, kind, cert_state, created_at)
            VALUES (:id, :workspaceId, :domain, :kind, 'pending', :now)""")
    void insert(UUID id, UUID workspaceId, String domain, String kind, Instant now);

    @Override
    @SqlQuery("SELECT workspace_id FROM workspace_domains WHERE domain = :domain")
    Optional<UUID> owner(String domain);

    @Override
    @SqlUpdate(
            "DELETE FROM workspace_domains WHERE workspace_id = :workspaceId AND domain = :domain AND kind = 'custom'")
    boolean removeCustom(UUID workspaceId, String domain);

    @Override
    @SqlQuery("""
            SELECT domain, kind, cert_state, verified_at, cert_issued_at FROM workspace_domains
            WHERE workspace_id = :workspaceId AND (CAST(:afterDomain AS text) IS NULL OR domain > :afterDomain)
            ORDER BY domain LIMIT :limit""")
    List<WorkspaceDomain> page(UUID workspaceId, String afterDomain, int limit);

    @Override
    @SqlUpdate("""
            UPDATE workspace_domains d SET cert_state = :certState,
                cert_issued_at = CASE WHEN :certState = 'issued' THEN CAST(:issuedAt AS timestamptz)
                                      ELSE d.cert_issued_at END
            FROM workspaces w
            WHERE d.domain = :domain AND w.id = d.workspace_id
              AND (w.host_id = :hostId OR w.home_host_id = :hostId)""")
    boolean recordCertificate(UUID hostId, String domain, String certState, Instant issuedAt);
}
