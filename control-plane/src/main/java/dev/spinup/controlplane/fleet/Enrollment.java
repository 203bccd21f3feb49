package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Host;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.auth.Secrets;
import dev.spinup.controlplane.db.Database;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.pki.CertificateAuthority;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host enrollment: an admin creates a one-time, expiring token for a region; a new host presents
 * it once with a CSR and gets a client certificate whose CN is its new host id. Afterwards the host
 * authenticates only by that certificate. Tokens are stored hashed.
 */
public final class Enrollment {
    private static final Logger log = LoggerFactory.getLogger(Enrollment.class);
    private static final String PREFIX = "spe_";
    static final Duration DEFAULT_TTL = Duration.ofHours(1);
    static final Duration MAX_TTL = Duration.ofDays(7);

    public record Token(String token, Instant expiresAt) {}

    public record Enrolled(UUID hostId, String certificatePem, String caCertificatePem, String region) {}

    private final Database db;
    private final FleetStore fleet;
    private final CertificateAuthority ca; // null: this replica cannot sign
    private final Clock clock;
    private final MeterRegistry meters;

    public Enrollment(Database db, FleetStore fleet, CertificateAuthority ca, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.fleet = fleet;
        this.ca = ca;
        this.clock = clock;
        this.meters = meters;
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
            if (!fleet.regionExists(tx.handle(), region)) {
                throw SpinUpException.invalidField(ErrorReason.UNKNOWN_REGION, "region", "no region named \"" + region + "\"");
            }
            tx.handle().createUpdate("""
                            INSERT INTO enrollment_tokens (id, token_sha256, region_id, created_by, created_at, expires_at)
                            VALUES (:id, :hash, :region, :actor, :now, :expires)""")
                    .bind("id", Ids.newId(clock)).bind("hash", Secrets.sha256Hex(token)).bind("region", region)
                    .bind("actor", actor).bind("now", Timestamp.from(now)).bind("expires", Timestamp.from(expires))
                    .execute();
        });
        log.info("event=enrollment_token_created region={} expires_at={} actor={}", region, expires, actor);
        return new Token(token, expires);
    }

    public Enrolled enroll(String token, String csrPem, String fqdn, Envelope total) {
        if (ca == null) {
            throw new SpinUpException(SpinUpException.Kind.FAILED_PRECONDITION, ErrorReason.NOT_IMPLEMENTED,
                    "this replica has no CA key configured and cannot enroll hosts", Map.of());
        }
        Instant now = clock.instant();
        return db.inTransaction(tx -> {
            Handle h = tx.handle();
            var row = h.createQuery("""
                            SELECT id, region_id, expires_at, used_at FROM enrollment_tokens
                            WHERE token_sha256 = :hash FOR UPDATE""")
                    .bind("hash", Secrets.sha256Hex(token)).mapToMap().findOne();
            if (row.isEmpty()) {
                throw refused(ErrorReason.ENROLLMENT_TOKEN_INVALID, "the enrollment token is not known");
            }
            if (row.get().get("used_at") != null) {
                throw refused(ErrorReason.ENROLLMENT_TOKEN_USED, "the enrollment token was already used");
            }
            if (!((Timestamp) row.get().get("expires_at")).toInstant().isAfter(now)) {
                throw refused(ErrorReason.ENROLLMENT_TOKEN_EXPIRED, "the enrollment token has expired");
            }
            Optional<UUID> taken = h.createQuery("SELECT id FROM hosts WHERE fqdn = :fqdn").bind("fqdn", fqdn)
                    .mapTo(UUID.class).findOne();
            if (taken.isPresent()) {
                throw new SpinUpException(SpinUpException.Kind.ALREADY_EXISTS, ErrorReason.FIELD_INVALID,
                        "a host named " + fqdn + " is already enrolled", Map.of("field", "fqdn"));
            }
            UUID hostId = Ids.newId(clock);
            String certificate;
            try {
                certificate = ca.signHostCsr(hostId, csrPem);
            } catch (IllegalArgumentException e) {
                throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "csr_pem", e.getMessage());
            }
            String region = (String) row.get().get("region_id");
            fleet.registerHost(h, hostId, region, fqdn, total);
            h.createUpdate("UPDATE enrollment_tokens SET used_at = :now, used_by_host = :host WHERE id = :id")
                    .bind("now", Timestamp.from(now)).bind("host", hostId).bind("id", row.get().get("id")).execute();
            meters.counter("spinup_hosts_enrolled").increment();
            log.info("event=host_enrolled host={} region={} fqdn={}", hostId, region, fqdn);
            return new Enrolled(hostId, certificate, ca.certificatePem(), region);
        });
    }

    private SpinUpException refused(ErrorReason reason, String message) {
        meters.counter("spinup_enrollments_refused", "reason", reason.name()).increment();
        log.warn("event=enrollment_refused reason={}", reason);
        return SpinUpException.unauthenticated(reason, message);
    }

}
