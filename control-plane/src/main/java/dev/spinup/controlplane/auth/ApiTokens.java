package dev.spinup.controlplane.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * API bearer tokens. A token is 256 random bits, shown once at creation; only its SHA-256 is
 * stored (a slow hash adds nothing for secrets of that entropy).
 */
public final class ApiTokens {
    private static final String PREFIX = "spn_";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Creates a token and returns it in clear text: the only time it is ever seen. */
    public String create(Handle h, UUID id, String name, Set<String> scopes, Instant now) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        h.createUpdate("""
                        INSERT INTO api_tokens (id, name, token_sha256, scopes, created_at)
                        VALUES (:id, :name, :hash, :scopes, :now)""")
                .bind("id", id).bind("name", name).bind("hash", sha256(token))
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
                .bind("hash", sha256(token))
                .map((rs, ctx) -> new Principal(rs.getString("name"),
                        new HashSet<>(Arrays.asList((String[]) rs.getArray("scopes").getArray()))))
                .findOne();
    }

    static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
