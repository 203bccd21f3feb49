package dev.spinup.controlplane.auth;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Secrets;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.store.Tx;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * API bearer tokens: shown once at creation; only their SHA-256 is stored (see {@link Secrets}).
 * Every call checks its token in the database, so a revoke or an expiry holds on every replica
 * from the next call on.
 */
public final class ApiTokens {
    private static final String PREFIX = "spn_";
    private final Clock clock;

    public ApiTokens(Clock clock) {
        this.clock = clock;
    }

    /** A token that never expires, made by the installation (the first admin token, dev mode's). */
    public String create(Tx tx, UUID id, String name, Set<String> scopes, Instant now) {
        return create(tx, id, name, scopes, now, null, "system")
                .orElseThrow(() -> new IllegalStateException("an API token named " + name + " exists"));
    }

    /** The new token in clear text (the only time it is ever seen); empty when the name is taken. */
    public Optional<String> create(
            Tx tx, UUID id, String name, Set<String> scopes, Instant now, Instant expiresAt, String createdBy) {
        String token = Secrets.newToken(PREFIX);
        return tx.tokens().createApiToken(id, name, Secrets.sha256Hex(token), scopes, now, expiresAt, createdBy)
                ? Optional.of(token)
                : Optional.empty();
    }

    /** The caller, for a live token; TOKEN_EXPIRED for one past its expiry. */
    public Optional<Principal> authenticate(Tx tx, String token) {
        if (!token.startsWith(PREFIX) || token.length() > 100) {
            return Optional.empty();
        }
        return tx.tokens().apiToken(Secrets.sha256Hex(token)).map(t -> {
            if (t.expiresAt() != null && !clock.instant().isBefore(t.expiresAt())) {
                throw new SpinUpException(
                        SpinUpException.Kind.UNAUTHENTICATED,
                        ErrorReason.TOKEN_EXPIRED,
                        "the bearer token " + t.name() + " expired at " + t.expiresAt(),
                        Map.of("name", t.name(), "expireTime", t.expiresAt().toString()));
            }
            return new Principal(t.name(), t.scopes());
        });
    }
}
