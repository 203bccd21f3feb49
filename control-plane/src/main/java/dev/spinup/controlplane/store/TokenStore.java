package dev.spinup.controlplane.store;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** API tokens and host enrollment tokens; only their SHA-256 is stored. */
public interface TokenStore {
    record ApiToken(String name, Set<String> scopes) {}

    record EnrollmentToken(UUID id, String regionId, Instant expiresAt, Instant usedAt) {}

    void createApiToken(UUID id, String name, String sha256Hex, Set<String> scopes, Instant now);

    /** The token with this hash, unless revoked. */
    Optional<ApiToken> apiToken(String sha256Hex);

    void createEnrollmentToken(
            UUID id, String sha256Hex, String regionId, String actor, Instant now, Instant expiresAt);

    /** The enrollment token with this hash, locked until the transaction ends. */
    Optional<EnrollmentToken> lockEnrollmentToken(String sha256Hex);

    void markEnrollmentTokenUsed(UUID id, UUID hostId, Instant now);
}
