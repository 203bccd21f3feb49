package dev.spinup.controlplane.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The keys access grants are signed with, and the grants handed out (access_keys, access_grants). */
public interface AccessStore {
    /** An Ed25519 key pair (PKCS#8 and X.509 encodings); grants are signed with it from {@code signsFrom}. */
    record Key(String keyId, byte[] privateKey, byte[] publicKey, Instant createdAt, Instant signsFrom) {}

    /** A grant as recorded: everything but the URL, which is signed again when asked for twice. */
    record Grant(
            UUID grantId,
            String requestId,
            String fingerprint,
            UUID workspaceId,
            String target,
            String hostname,
            String keyId,
            Instant urlExpiresAt,
            Instant sessionExpiresAt,
            String actor,
            Instant createdAt) {}

    /** Holds the key rotation lock until the transaction ends: one replica rotates at a time. */
    void lockKeys();

    void insertKey(Key key);

    Optional<Key> findKey(String keyId);

    /** Every key whose signing started after {@code since} or that signs now, newest first. */
    List<Key> keysSince(Instant since);

    /** The newest key, if there is one. */
    Optional<Key> newest();

    /** Records the grant unless its request id is taken; returns whether this call recorded it. */
    boolean insertGrant(Grant grant);

    Optional<Grant> grantByRequest(String requestId);
}
