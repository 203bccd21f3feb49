package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.steps.AgentCommand;
import dev.spinup.controlplane.steps.AgentLink;
import dev.spinup.controlplane.store.AccessStore;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ed25519 keys access grants are signed with, and their rotation. A new key is made a lead
 * time before it starts signing and pushed to every host with an edge (a routing table, which
 * carries the published keys, outside any operation), so by the time any replica signs with it
 * the hosts know it. A host is given every key that signs now, the ones that will, and the ones
 * that signed within the last URL lifetime, so a URL signed just before a rotation still opens.
 * Hosts never get a private key.
 */
public final class AccessKeys {
    private static final Logger log = LoggerFactory.getLogger(AccessKeys.class);

    /** How long a one-time URL can be opened after it is made. */
    public static final Duration URL_LIFETIME = Duration.ofSeconds(60);
    /** How long each key signs grants. */
    public static final Duration DEFAULT_ROTATION = Duration.ofHours(24);
    /** How long before it signs a key goes to the hosts. */
    public static final Duration DEFAULT_LEAD = Duration.ofMinutes(2);

    private final Transactions db;
    private final AgentLink agents;
    private final Clock clock;
    private final Duration rotation;
    private final Duration lead;

    /**
     * @param rotation how long each key signs
     * @param lead     how long before it signs a key is published
     */
    public AccessKeys(Transactions db, AgentLink agents, Clock clock, Duration rotation, Duration lead) {
        if (rotation.compareTo(lead.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("a key must sign for at least twice its publication lead");
        }
        this.db = db;
        this.agents = agents;
        this.clock = clock;
        this.rotation = rotation;
        this.lead = lead;
    }

    /** A key to sign with now: the newest whose signing has started. */
    public record Signing(String keyId, PrivateKey key) {}

    /**
     * Makes the next key when it is due (and the first one, which signs at once, on a new
     * installation); run at start and then by a recurring job. Returns whether it made one.
     */
    public boolean rotate() {
        return db.inTransaction(tx -> {
            tx.access().lockKeys();
            Instant now = clock.instant();
            var newest = tx.access().newest();
            Instant signsFrom;
            if (newest.isEmpty()) {
                signsFrom = now;
            } else if (!newest.get().signsFrom().plus(rotation).isAfter(now.plus(lead.multipliedBy(2)))) {
                // Made two leads ahead, so it is published at least a lead before it signs even
                // when this job runs late; never signing sooner than a lead from now.
                Instant due = newest.get().signsFrom().plus(rotation);
                signsFrom = due.isAfter(now.plus(lead)) ? due : now.plus(lead);
            } else {
                return false;
            }
            KeyPair pair = generate();
            String keyId = "k" + Ids.newId(clock).toString().replace("-", "").substring(0, 16);
            tx.access()
                    .insertKey(new AccessStore.Key(
                            keyId,
                            pair.getPrivate().getEncoded(),
                            pair.getPublic().getEncoded(),
                            now,
                            signsFrom));
            List<UUID> hosts = tx.fleet().hostsWithEdge();
            for (UUID host : hosts) {
                pushTable(tx, host, keyId);
            }
            log.atInfo()
                    .setMessage("access_key_made")
                    .addKeyValue("key", keyId)
                    .addKeyValue("signs_from", signsFrom)
                    .addKeyValue("hosts", hosts.size())
                    .log();
            return true;
        });
    }

    /** The key to sign with now; empty before the first {@link #rotate}. */
    public java.util.Optional<Signing> signing(Tx tx, Instant now) {
        return tx.access().keysSince(now).stream()
                .filter(k -> !k.signsFrom().isAfter(now))
                .findFirst()
                .map(k -> new Signing(k.keyId(), privateKey(k.privateKey())));
    }

    /** The key that signed grant {@code keyId}, to sign its URL again for a retried request. */
    public Signing key(Tx tx, String keyId) {
        AccessStore.Key k = tx.access().findKey(keyId).orElseThrow();
        return new Signing(k.keyId(), privateKey(k.privateKey()));
    }

    /** The keys hosts should accept now (as a routing table carries them). */
    public static List<AccessStore.Key> published(Tx tx, Instant now) {
        return tx.access().keysSince(now.minus(URL_LIFETIME));
    }

    /** An ApplyEdgeRoutes for {@code host}, filled in when sent, so it carries the keys as they are then. */
    private void pushTable(Tx tx, UUID host, String keyId) {
        agents.send(
                tx,
                host,
                new AgentLink.Outgoing(
                        "access-keys-" + keyId + "-" + host,
                        null,
                        null,
                        "access_keys",
                        null,
                        Map.of(),
                        new AgentCommand.ApplyEdgeRoutes()));
    }

    private static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is not available", e);
        }
    }

    private static PrivateKey privateKey(byte[] pkcs8) {
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("a stored access key is not an Ed25519 private key", e);
        }
    }
}
