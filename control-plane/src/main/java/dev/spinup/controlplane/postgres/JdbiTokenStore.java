package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.store.TokenStore;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** api_tokens and enrollment_tokens in PostgreSQL. */
@RegisterConstructorMapper(TokenStore.ApiToken.class)
@RegisterConstructorMapper(TokenStore.EnrollmentToken.class)
interface JdbiTokenStore extends TokenStore {
    @Override
    default void createApiToken(UUID id, String name, String sha256Hex, Set<String> scopes, Instant now) {
        createApiToken(id, name, sha256Hex, scopes.stream().sorted().toArray(String[]::new), now);
    }

    @SqlUpdate("""
            INSERT INTO api_tokens (id, name, token_sha256, scopes, created_at)
            VALUES (:id, :name, :sha256Hex, :scopes, :now)""")
    void createApiToken(UUID id, String name, String sha256Hex, String[] scopes, Instant now);

    @Override
    @SqlQuery("SELECT name, scopes FROM api_tokens WHERE token_sha256 = :sha256Hex AND revoked_at IS NULL")
    Optional<ApiToken> apiToken(String sha256Hex);

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
