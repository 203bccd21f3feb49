package dev.spinup.edge;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.function.Function;

/**
 * The one-time access grant in a URL the control plane hands out and a host's edge trades for a
 * session: {@code g1.<key id>.<payload>.<signature>}, base64url without padding. The payload
 * names the grant, the workspace, the target (ide, app or port:<n>) and two deadlines; the Ed25519
 * signature covers the key id and the payload. The control plane signs with a private key only it
 * holds; hosts hold the public halves (they come with every routing table), so a host can check a
 * grant but never mint one.
 *
 * @param urlExpiresAt     the URL must be opened before this
 * @param sessionExpiresAt the session it is traded for ends then
 */
public record GrantToken(
        String keyId,
        String grantId,
        String workspaceId,
        String target,
        Instant urlExpiresAt,
        Instant sessionExpiresAt) {
    /** The query parameter the grant travels in. */
    public static final String QUERY_PARAMETER = "spinup_grant";

    private static final String VERSION = "g1";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** Why a grant is refused; {@code reason} is an ErrorReason name (the edge's X-Spinup-Reason). */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        private final String reason;

        public Refused(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    public GrantToken {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(grantId, "grantId");
        Objects.requireNonNull(workspaceId, "workspaceId");
        Objects.requireNonNull(target, "target");
        for (String part : new String[] {keyId, grantId, workspaceId, target}) {
            if (part.isEmpty() || part.contains("\n") || part.contains(".")) {
                throw new IllegalArgumentException("a grant's ids and target are non-empty, without dots or newlines");
            }
        }
    }

    /** The token, signed with {@code key} (Ed25519: the same token gives the same signature). */
    public String sign(PrivateKey key) {
        byte[] payload = payload().getBytes(StandardCharsets.UTF_8);
        String signed = VERSION + "." + keyId + "." + B64.encodeToString(payload);
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(signed.getBytes(StandardCharsets.US_ASCII));
            return signed + "." + B64.encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a grant with Ed25519", e);
        }
    }

    /**
     * The grant in {@code token} if its signature is good under the key it names ({@code keys}
     * gives null for a key this host does not have). Deadlines are the caller's to check.
     */
    public static GrantToken verify(String token, Function<String, PublicKey> keys) throws Refused {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 4 || !parts[0].equals(VERSION)) {
            throw new Refused(
                    "GRANT_SIGNATURE_INVALID", "the link's grant is not a SpinUp grant (damaged or cut short)");
        }
        PublicKey key = keys.apply(parts[1]);
        if (key == null) {
            throw new Refused(
                    "GRANT_SIGNATURE_INVALID",
                    "the link's grant is signed with a key this host does not know (forged, or too old)");
        }
        byte[] payload;
        byte[] signature;
        try {
            payload = B64D.decode(parts[2]);
            signature = B64D.decode(parts[3]);
        } catch (IllegalArgumentException e) {
            throw new Refused("GRANT_SIGNATURE_INVALID", "the link's grant is damaged");
        }
        boolean good;
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update((parts[0] + "." + parts[1] + "." + parts[2]).getBytes(StandardCharsets.US_ASCII));
            good = s.verify(signature);
        } catch (GeneralSecurityException e) {
            good = false;
        }
        if (!good) {
            throw new Refused("GRANT_SIGNATURE_INVALID", "the link's grant has been tampered with");
        }
        String[] fields = new String(payload, StandardCharsets.UTF_8).split("\n", -1);
        if (fields.length != 5) {
            throw new Refused("GRANT_SIGNATURE_INVALID", "the link's grant is not one this host can read");
        }
        try {
            return new GrantToken(
                    parts[1],
                    fields[0],
                    fields[1],
                    fields[2],
                    Instant.ofEpochSecond(Long.parseLong(fields[3])),
                    Instant.ofEpochSecond(Long.parseLong(fields[4])));
        } catch (IllegalArgumentException e) {
            throw new Refused("GRANT_SIGNATURE_INVALID", "the link's grant is not one this host can read");
        }
    }

    /** An Ed25519 public key as the routing table carries it (X.509 SubjectPublicKeyInfo). */
    public static PublicKey publicKey(byte[] encoded) {
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(encoded));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key", e);
        }
    }

    private String payload() {
        return String.join(
                "\n",
                grantId,
                workspaceId,
                target,
                Long.toString(urlExpiresAt.getEpochSecond()),
                Long.toString(sessionExpiresAt.getEpochSecond()));
    }
}
