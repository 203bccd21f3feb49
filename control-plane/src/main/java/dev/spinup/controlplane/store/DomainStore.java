package dev.spinup.controlplane.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The names workspaces answer on: each one's default subdomain, and custom domains. */
public interface DomainStore {
    /** {@code kind}: default_subdomain or custom; {@code certState}: pending, issued, failed or expired. */
    record WorkspaceDomain(String domain, String kind, String certState, Instant verifiedAt, Instant certIssuedAt) {}

    void insert(UUID id, UUID workspaceId, String domain, String kind, Instant now);

    Optional<UUID> owner(String domain);

    /** Removes a custom domain of the workspace; false if it has none of that name. */
    boolean removeCustom(UUID workspaceId, String domain);

    /** The workspace's names, default first. */
    /** Up to {@code limit} of the workspace's domains after {@code afterDomain} (null: from the first), by name. */
    List<WorkspaceDomain> page(UUID workspaceId, String afterDomain, int limit);

    /**
     * A host's edge reports the certificate state of {@code domain}. Applied only when the host
     * routes the workspace (it runs there, or it is its home); returns whether it was.
     */
    boolean recordCertificate(UUID hostId, String domain, String certState, Instant issuedAt);
}
