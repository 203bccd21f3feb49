package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.Secrets;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.store.TokenStore;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host enrollment: an admin creates a one-time, expiring token for a region; a new host presents
 * it once with a CSR and gets a client certificate whose CN is its new host id. Afterwards the host
 * authenticates only by that certificate. Tokens are stored hashed. A cloud instance of an elastic
 * region's group may instead prove what it is ({@link InstanceAttestor}): once per instance, with
 * a name that starts with its instance id.
 */
public final class Enrollment {
    private static final Logger log = LoggerFactory.getLogger(Enrollment.class);
    private static final String PREFIX = "spe_";
    static final Duration DEFAULT_TTL = Duration.ofHours(1);
    static final Duration MAX_TTL = Duration.ofDays(7);

    public record Token(String token, Instant expiresAt) {}

    public record Enrolled(UUID hostId, String certificatePem, String caCertificatePem, String region) {}

    private final Transactions db;
    private final HostCertificates ca; // null: this replica cannot sign
    private final InstanceAttestor attestor; // null: tokens only
    private final Clock clock;
    private final MeterRegistry meters;
    private final Counter hostsEnrolled;

    public Enrollment(
            Transactions db, HostCertificates ca, InstanceAttestor attestor, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.ca = ca;
        this.attestor = attestor;
        this.clock = clock;
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (ErrorReason reason : java.util.List.of(
                ErrorReason.ENROLLMENT_TOKEN_INVALID,
                ErrorReason.ENROLLMENT_TOKEN_EXPIRED,
                ErrorReason.ENROLLMENT_TOKEN_USED,
                ErrorReason.ENROLLMENT_IDENTITY_INVALID,
                ErrorReason.ENROLLMENT_IDENTITY_USED)) {
            meters.counter("spinup_enrollments_refused", "reason", reason.name());
        }
        this.hostsEnrolled = meters.counter("spinup_hosts_enrolled");
    }

    public Token createToken(String region, Duration ttl, String actor) {
        Duration validity = ttl.isZero() ? DEFAULT_TTL : ttl;
        if (validity.isNegative() || validity.compareTo(MAX_TTL) > 0) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "ttl", "ttl must be between 1s and 7 days");
        }
        String token = Secrets.newToken(PREFIX);
        Instant now = clock.instant();
        Instant expires = now.plus(validity);
        db.inTransactionVoid(tx -> {
            if (!tx.fleet().regionExists(region)) {
                throw SpinUpException.invalidField(
                        ErrorReason.UNKNOWN_REGION, "region", "no region named \"" + region + "\"");
            }
            tx.tokens().createEnrollmentToken(Ids.newId(clock), Secrets.sha256Hex(token), region, actor, now, expires);
        });
        log.atInfo()
                .setMessage("enrollment_token_created")
                .addKeyValue("region", region)
                .addKeyValue("expires_at", expires)
                .addKeyValue("actor", actor)
                .log();
        return new Token(token, expires);
    }

    public Enrolled enroll(String token, String csrPem, String fqdn, Envelope total) {
        requireCa();
        Instant now = clock.instant();
        return db.inTransaction(tx -> {
            TokenStore.EnrollmentToken row = tx.tokens()
                    .lockEnrollmentToken(Secrets.sha256Hex(token))
                    .orElseThrow(
                            () -> refused(ErrorReason.ENROLLMENT_TOKEN_INVALID, "the enrollment token is not known"));
            if (row.usedAt() != null) {
                throw refused(ErrorReason.ENROLLMENT_TOKEN_USED, "the enrollment token was already used");
            }
            if (!row.expiresAt().isAfter(now)) {
                throw refused(ErrorReason.ENROLLMENT_TOKEN_EXPIRED, "the enrollment token has expired");
            }
            Enrolled enrolled =
                    register(tx, row.regionId(), csrPem, fqdn, total, now, "enrolled with a one-time token");
            tx.tokens().markEnrollmentTokenUsed(row.id(), enrolled.hostId(), now);
            return enrolled;
        });
    }

    /**
     * Enrolls a cloud instance that proves what it is by {@code document} and {@code signature}
     * (its instance identity), in the region whose group runs it; {@code fqdn} must start with its
     * instance id. One host per instance, ever: a second enrollment is refused.
     */
    public Enrolled enrollInstance(String document, String signature, String csrPem, String fqdn, Envelope total) {
        requireCa();
        if (attestor == null) {
            throw refused(
                    ErrorReason.ENROLLMENT_IDENTITY_INVALID,
                    "this control plane takes no instance identities (no aws-asg provider with"
                            + " --asg-identity-certificate); enroll with a token");
        }
        InstanceAttestor.Attested instance;
        try {
            instance = attestor.attest(document, signature); // asks the cloud: no transaction open
        } catch (SpinUpException e) {
            if (e.kind() == SpinUpException.Kind.UNAUTHENTICATED) {
                countRefusal(e.reason());
            }
            throw e;
        }
        if (!fqdn.startsWith(instance.instanceId() + ".")) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID,
                    "fqdn",
                    "the fqdn must start with the instance id " + instance.instanceId());
        }
        Instant now = clock.instant();
        return db.inTransaction(tx -> {
            tx.fleet().lockInstance(instance.instanceId()); // two enrollments of one instance: one host
            if (tx.fleet().hostOfInstance(instance.instanceId()).isPresent()) {
                throw refused(
                        ErrorReason.ENROLLMENT_IDENTITY_USED,
                        "instance " + instance.instanceId() + " has enrolled a host already");
            }
            return register(tx, instance.region(), csrPem, fqdn, total, now, "enrolled by its instance identity");
        });
    }

    private void requireCa() {
        if (ca == null) {
            throw new SpinUpException(
                    SpinUpException.Kind.FAILED_PRECONDITION,
                    ErrorReason.NOT_IMPLEMENTED,
                    "this replica has no CA key configured and cannot enroll hosts",
                    Map.of());
        }
    }

    /** Signs the host's certificate and registers it, waiting for its first heartbeat. */
    private Enrolled register(
            dev.spinup.controlplane.store.Tx tx,
            String region,
            String csrPem,
            String fqdn,
            Envelope total,
            Instant now,
            String how) {
        if (tx.fleet().hostNamed(fqdn).isPresent()) {
            throw new SpinUpException(
                    SpinUpException.Kind.ALREADY_EXISTS,
                    ErrorReason.FIELD_INVALID,
                    "a host named " + fqdn + " is already enrolled",
                    Map.of("field", "fqdn"));
        }
        UUID hostId = Ids.newId(clock);
        String certificate;
        try {
            certificate = ca.signHostCsr(hostId, csrPem);
        } catch (IllegalArgumentException e) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "csr_pem", e.getMessage());
        }
        tx.fleet().registerHost(hostId, region, fqdn, total, now, how + "; waiting for its first heartbeat");
        hostsEnrolled.increment();
        log.atInfo()
                .setMessage("host_enrolled")
                .addKeyValue("host", hostId)
                .addKeyValue("region", region)
                .addKeyValue("fqdn", fqdn)
                .addKeyValue("how", how)
                .log();
        return new Enrolled(hostId, certificate, ca.certificatePem(), region);
    }

    private SpinUpException refused(ErrorReason reason, String message) {
        countRefusal(reason);
        return SpinUpException.unauthenticated(reason, message);
    }

    private void countRefusal(ErrorReason reason) {
        meters.counter("spinup_enrollments_refused", "reason", reason.name()).increment();
        log.atWarn()
                .setMessage("enrollment_refused")
                .addKeyValue("reason", reason)
                .log();
    }
}
