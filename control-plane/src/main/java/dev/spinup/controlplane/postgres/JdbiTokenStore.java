package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.store.TokenStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** api_tokens and enrollment_tokens in PostgreSQL. */
interface JdbiTokenStore extends TokenStore {
    @Override
    default boolean createApiToken(
            UUID id,
            String name,
            String sha256Hex,
            Set<String> scopes,
            Instant now,
            Instant expiresAt,
            String createdBy) {
        return insertApiToken(
                        id, name, sha256Hex, scopes.stream().sorted().toArray(String[]::new), now, expiresAt, createdBy)
                == 1;
    }

    @SqlUpdate("""
            INSERT INTO api_tokens (id, name, token_sha256, scopes, created_at, expires_at, created_by)
            VALUES (:id, :name, :sha256Hex, :scopes, :now, :expiresAt, :createdBy)
            ON CONFLICT (name) DO NOTHING""")
    int insertApiToken(
            UUID id, String name, String sha256Hex, String[] scopes, Instant now, Instant expiresAt, String createdBy);

    @Override
    @SqlQuery("""
            SELECT name, scopes, expires_at FROM api_tokens
            WHERE token_sha256 = :sha256Hex AND revoked_at IS NULL""")
    Optional<ApiToken> apiToken(String sha256Hex);

    @Override
    @SqlQuery("""
            SELECT name, scopes, created_at, expires_at, revoked_at, created_by FROM api_tokens
            WHERE name = :name""")
    Optional<ApiTokenInfo> apiTokenNamed(String name);

    @Override
    @SqlQuery("""
            SELECT name, scopes, created_at, expires_at, revoked_at, created_by FROM api_tokens
            WHERE (CAST(:afterName AS text) IS NULL OR name > :afterName)
              AND (:withRevoked OR revoked_at IS NULL)
            ORDER BY name LIMIT :limit""")
    List<ApiTokenInfo> apiTokens(String afterName, boolean withRevoked, int limit);

    @Override
    @SqlUpdate("UPDATE api_tokens SET revoked_at = :now WHERE name = :name AND revoked_at IS NULL")
    boolean revokeApiToken(String name, Instant now);

    @Override
    @SqlUpdate("""
            INSERT INTO enrollment_tokens (id, token_sha256, region_id, created_by, created_at, expires_at)
            VALUES (:id, :sha256Hex, :regionId, :actor, :now, :expiresAt)""")
    void createEnrollmentToken(
            UUID id, String sha256Hex, String regionId, String actor, Instant now, Instant expiresAt);

    @Override
    @SqlQuery("""
            SELECT id, region_id, expires_at, used_at FROM enrollment_tokens
            WHERE token_sha256 = :sha256Hex FOR UPDATE""")
    Optional<EnrollmentToken> lockEnrollmentToken(String sha256Hex);

    @Override
    @SqlUpdate("UPDATE enrollment_tokens SET used_at = :now, used_by_host = :hostId WHERE id = :id")
    void markEnrollmentTokenUsed(UUID id, UUID hostId, Instant now);
}
