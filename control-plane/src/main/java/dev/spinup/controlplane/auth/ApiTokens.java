package dev.spinup.controlplane.auth;

import dev.spinup.controlplane.core.Secrets;
import dev.spinup.controlplane.store.Tx;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * API bearer tokens: shown once at creation; only their SHA-256 is stored (see {@link Secrets}).
 */
public final class ApiTokens {
    private static final String PREFIX = "spn_";

    /** Creates a token and returns it in clear text: the only time it is ever seen. */
    public String create(Tx tx, UUID id, String name, Set<String> scopes, Instant now) {
        String token = Secrets.newToken(PREFIX);
        tx.tokens().createApiToken(id, name, Secrets.sha256Hex(token), scopes, now);
        return token;
    }

    public Optional<Principal> authenticate(Tx tx, String token) {
        if (!token.startsWith(PREFIX) || token.length() > 100) {
            return Optional.empty();
        }
        return tx.tokens().apiToken(Secrets.sha256Hex(token)).map(t -> new Principal(t.name(), t.scopes()));
    }
}
