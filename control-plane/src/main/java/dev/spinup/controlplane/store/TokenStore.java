package dev.spinup.controlplane.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** API tokens and host enrollment tokens; only their SHA-256 is stored. */
public interface TokenStore {
    /** What authentication needs of a live (not revoked) token; expiresAt null: never. */
    record ApiToken(String name, Set<String> scopes, Instant expiresAt) {}

    /** A token as ListApiTokens shows it (never its hash). */
    record ApiTokenInfo(
            String name,
            Set<String> scopes,
            Instant createdAt,
            Instant expiresAt,
            Instant revokedAt,
            String createdBy) {}

    record EnrollmentToken(UUID id, String regionId, Instant expiresAt, Instant usedAt) {}

    /** False when the name is taken (by a live or a revoked token). */
    boolean createApiToken(
            UUID id,
            String name,
            String sha256Hex,
            Set<String> scopes,
            Instant now,
            Instant expiresAt,
            String createdBy);

    Optional<ApiTokenInfo> apiTokenNamed(String name);

    /** Tokens by name after {@code afterName} (null: from the first). */
    List<ApiTokenInfo> apiTokens(String afterName, boolean withRevoked, int limit);

    /** Marks the token revoked unless it is already; false when it was. */
    boolean revokeApiToken(String name, Instant now);

    /** The token with this hash, unless revoked. */
    Optional<ApiToken> apiToken(String sha256Hex);

    void createEnrollmentToken(
            UUID id, String sha256Hex, String regionId, String actor, Instant now, Instant expiresAt);

    /** The enrollment token with this hash, locked until the transaction ends. */
    Optional<EnrollmentToken> lockEnrollmentToken(String sha256Hex);

    void markEnrollmentTokenUsed(UUID id, UUID hostId, Instant now);
}
