package dev.spinup.agent.edge;

import dev.spinup.api.v1.AccessKey;
import dev.spinup.edge.CaddyConfig;
import dev.spinup.edge.GrantToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Decides, for Caddy's {@code forward_auth} check of a private name, whether a request gets
 * through. A request either carries a one-time grant in its URL (signed by the control plane, see
 * {@link GrantToken}) — traded once for a session cookie and a redirect to the same URL without
 * it — or the session cookie, which this host signed (HMAC-SHA256 with a key of its own, kept in
 * its data directory) for exactly that workspace, target and name. Anything else is refused with
 * the reason.
 *
 * <p>A grant traded once is remembered (fsync'd to {@code used-grants}) until its URL expires, so
 * a one-time URL stays spent across restarts. Neither grants nor cookies are ever logged.
 */
public final class AccessVerifier {
    /** What to answer Caddy. */
    public sealed interface Decision {
        record Allow() implements Decision {}

        /** The grant is good: set the session cookie and send the browser to {@code location}. */
        record Redirect(String location, String setCookie, String grantId) implements Decision {}

        record Refuse(String reason, String message) implements Decision {}
    }

    private static final String SESSION_VERSION = "s1";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    private final Clock clock;
    private final byte[] sessionKey;
    private final Path usedFile;
    /** grant id → when its URL expires (after which it cannot be used anyway). */
    private final Map<String, Instant> used = new ConcurrentHashMap<>();

    private volatile Map<String, PublicKey> keys = Map.of();

    public AccessVerifier(Path dir, Clock clock) {
        this.clock = clock;
        try {
            Files.createDirectories(dir);
            this.sessionKey = sessionKey(dir.resolve("session.key"));
            this.usedFile = dir.resolve("used-grants");
            loadUsed();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the access verifier's state in " + dir, e);
        }
    }

    /** The keys the control plane signs grants with now (from the routing table). */
    public void keys(List<AccessKey> published) {
        Map<String, PublicKey> next = new ConcurrentHashMap<>();
        for (AccessKey k : published) {
            next.put(k.getKeyId(), GrantToken.publicKey(k.getPublicKey().toByteArray()));
        }
        keys = Map.copyOf(next);
    }

    /**
     * @param workspaceId the workspace the name belongs to, as Caddy's config says it
     * @param target      ide or app, as Caddy's config says it
     * @param host        the name the browser asked for
     * @param uri         the path and query the browser asked for
     * @param cookies     the Cookie header, or null
     * @param tls         whether the browser came over HTTPS (the cookie is then Secure)
     */
    public Decision check(String workspaceId, String target, String host, String uri, String cookies, boolean tls) {
        Instant now = clock.instant();
        String grant = queryParameter(uri, GrantToken.QUERY_PARAMETER);
        if (grant != null) {
            return redeem(workspaceId, target, host, uri, grant, tls, now);
        }
        String session = cookie(cookies, CaddyConfig.SESSION_COOKIE);
        if (session == null) {
            return new Decision.Refuse("GRANT_MISSING", "You opened this address without an access link.");
        }
        return session(workspaceId, target, host, session, now);
    }

    private Decision redeem(
            String workspaceId, String target, String host, String uri, String grant, boolean tls, Instant now) {
        GrantToken token;
        try {
            token = GrantToken.verify(grant, keys::get);
        } catch (GrantToken.Refused e) {
            return new Decision.Refuse(e.reason(), "The access link is not valid: " + e.getMessage() + ".");
        }
        if (!token.workspaceId().equals(workspaceId) || !token.target().equals(target)) {
            return new Decision.Refuse(
                    "GRANT_WRONG_WORKSPACE", "The access link is for another workspace, or for its other address.");
        }
        if (!now.isBefore(token.urlExpiresAt())) {
            return new Decision.Refuse("GRANT_EXPIRED", "The access link has expired: links work for a minute.");
        }
        if (!markUsed(token.grantId(), token.urlExpiresAt(), now)) {
            return new Decision.Refuse("GRANT_REUSED", "The access link was already used: links work once.");
        }
        long maxAge =
                Math.max(1, Duration.between(now, token.sessionExpiresAt()).toSeconds());
        String value = sessionValue(workspaceId, target, host, token.sessionExpiresAt());
        String setCookie = CaddyConfig.SESSION_COOKIE + "=" + value + "; Path=/; Max-Age=" + maxAge
                + "; HttpOnly; SameSite=Lax" + (tls ? "; Secure" : "");
        return new Decision.Redirect(withoutParameter(uri, GrantToken.QUERY_PARAMETER), setCookie, token.grantId());
    }

    private Decision session(String workspaceId, String target, String host, String value, Instant now) {
        String[] parts = value.split("\\.", -1);
        if (parts.length != 3 || !parts[0].equals(SESSION_VERSION)) {
            return new Decision.Refuse("GRANT_SIGNATURE_INVALID", "Your session cookie is damaged.");
        }
        byte[] mac;
        byte[] body;
        try {
            body = B64D.decode(parts[1]);
            mac = B64D.decode(parts[2]);
        } catch (IllegalArgumentException e) {
            return new Decision.Refuse("GRANT_SIGNATURE_INVALID", "Your session cookie is damaged.");
        }
        if (!MessageDigest.isEqual(mac, hmac(body))) {
            return new Decision.Refuse(
                    "GRANT_SIGNATURE_INVALID",
                    "Your session was not made by this host (forged, or the workspace moved).");
        }
        String[] fields = new String(body, StandardCharsets.UTF_8).split("\n", -1);
        if (fields.length != 4) {
            return new Decision.Refuse("GRANT_SIGNATURE_INVALID", "Your session cookie is damaged.");
        }
        if (!fields[0].equals(workspaceId) || !fields[1].equals(target) || !fields[2].equalsIgnoreCase(host)) {
            return new Decision.Refuse("GRANT_WRONG_WORKSPACE", "Your session is for another workspace or address.");
        }
        if (!now.isBefore(Instant.ofEpochSecond(Long.parseLong(fields[3])))) {
            return new Decision.Refuse("GRANT_EXPIRED", "Your session has expired.");
        }
        return new Decision.Allow();
    }

    private String sessionValue(String workspaceId, String target, String host, Instant expires) {
        byte[] body = String.join(
                        "\n",
                        workspaceId,
                        target,
                        host.toLowerCase(java.util.Locale.ROOT),
                        Long.toString(expires.getEpochSecond()))
                .getBytes(StandardCharsets.UTF_8);
        return SESSION_VERSION + "." + B64.encodeToString(body) + "." + B64.encodeToString(hmac(body));
    }

    private byte[] hmac(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(sessionKey, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Records the grant as used (durably) unless it already was. */
    private synchronized boolean markUsed(String grantId, Instant urlExpiresAt, Instant now) {
        if (used.containsKey(grantId)) {
            return false;
        }
        used.values().removeIf(expiry -> expiry.isBefore(now));
        used.put(grantId, urlExpiresAt);
        try (var channel = java.nio.channels.FileChannel.open(
                usedFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            channel.write(java.nio.ByteBuffer.wrap(
                    (grantId + " " + urlExpiresAt.getEpochSecond() + "\n").getBytes(StandardCharsets.US_ASCII)));
            channel.force(false);
        } catch (IOException e) {
            // Not durable, so not granted: a crash now could let the link be used again.
            used.remove(grantId);
            throw new UncheckedIOException("cannot record a used grant", e);
        }
        return true;
    }

    /** Reads the used grants back, keeping those still unexpired, and rewrites the file with only them. */
    private void loadUsed() throws IOException {
        Instant now = clock.instant();
        if (Files.exists(usedFile)) {
            for (String line : Files.readAllLines(usedFile, StandardCharsets.US_ASCII)) {
                String[] f = line.split(" ");
                if (f.length == 2) {
                    try {
                        Instant expiry = Instant.ofEpochSecond(Long.parseLong(f[1]));
                        if (expiry.isAfter(now)) {
                            used.put(f[0], expiry);
                        }
                    } catch (NumberFormatException e) {
                        // a torn last line from a crash: that grant was not granted
                    }
                }
            }
        }
        StringBuilder kept = new StringBuilder();
        used.forEach((id, expiry) ->
                kept.append(id).append(' ').append(expiry.getEpochSecond()).append('\n'));
        Path tmp = usedFile.resolveSibling("used-grants.tmp");
        Files.writeString(tmp, kept, StandardCharsets.US_ASCII);
        try (var channel = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(tmp, usedFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] sessionKey(Path file) throws IOException {
        if (Files.exists(file)) {
            byte[] key = Files.readAllBytes(file);
            if (key.length == 32) {
                return key;
            }
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(tmp, key, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return key;
    }

    static String queryParameter(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String pair : uri.substring(q + 1).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    static String withoutParameter(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return uri;
        }
        String path = uri.substring(0, q);
        String rest = java.util.Arrays.stream(uri.substring(q + 1).split("&"))
                .filter(pair -> !pair.startsWith(name + "=") && !pair.equals(name))
                .reduce((a, b) -> a + "&" + b)
                .orElse("");
        return (path.isEmpty() ? "/" : path) + (rest.isEmpty() ? "" : "?" + rest);
    }

    static String cookie(String header, String name) {
        if (header == null) {
            return null;
        }
        for (String c : header.split(";")) {
            String t = c.trim();
            if (t.startsWith(name + "=")) {
                return t.substring(name.length() + 1);
            }
        }
        return null;
    }
}
