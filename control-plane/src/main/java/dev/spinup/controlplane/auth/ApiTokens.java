package dev.spinup.controlplane.auth;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * API bearer tokens: shown once at creation; only their SHA-256 is stored (see {@link Secrets}).
 */
public final class ApiTokens {
    private static final String PREFIX = "spn_";

    /** Creates a token and returns it in clear text: the only time it is ever seen. */
    public String create(Handle h, UUID id, String name, Set<String> scopes, Instant now) {
        String token = Secrets.newToken(PREFIX);
        h.createUpdate("""
                        INSERT INTO api_tokens (id, name, token_sha256, scopes, created_at)
                        VALUES (:id, :name, :hash, :scopes, :now)""")
                .bind("id", id).bind("name", name).bind("hash", Secrets.sha256Hex(token))
                .bindArray("scopes", String.class, scopes.stream().sorted().toList())
                .bind("now", Timestamp.from(now))
                .execute();
        return token;
    }

    public Optional<Principal> authenticate(Handle h, String token) {
        if (!token.startsWith(PREFIX) || token.length() > 100) {
            return Optional.empty();
        }
        return h.createQuery("""
                        SELECT name, scopes FROM api_tokens WHERE token_sha256 = :hash AND revoked_at IS NULL""")
                .bind("hash", Secrets.sha256Hex(token))
                .map((rs, ctx) -> new Principal(rs.getString("name"),
                        new HashSet<>(Arrays.asList((String[]) rs.getArray("scopes").getArray()))))
                .findOne();
    }

}
