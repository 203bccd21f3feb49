package dev.spinup.controlplane.agents;

import dev.spinup.api.v1.CertState;
import dev.spinup.api.v1.CertificateStatus;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hosts' edges report the certificates they get for workspaces' names. */
final class CertificateReports {
    private static final Logger log = LoggerFactory.getLogger(CertificateReports.class);

    private final Transactions db;
    private final MeterRegistry meters;

    CertificateReports(Transactions db, MeterRegistry meters) {
        this.db = db;
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (CertState known : CertState.values()) {
            String state = state(known);
            if (state == null) {
                continue;
            }
            for (String applied : java.util.List.of("yes", "no")) {
                meters.counter("spinup_certificate_reports", "state", state, "applied", applied);
            }
        }
    }

    /**
     * The edge's certificate for a name changed state. Only a host that routes the workspace (it
     * runs there, or it is its home) may report on its names; anything else is ignored and counted.
     */
    void record(UUID hostId, CertificateStatus status) {
        String state = state(status.getState());
        if (state == null) {
            return;
        }
        Instant issued = status.getState() == CertState.CERT_STATE_ISSUED && status.hasNotBefore()
                ? Instant.ofEpochSecond(status.getNotBefore().getSeconds())
                : null;
        boolean applied =
                db.inTransaction(tx -> tx.domains().recordCertificate(hostId, status.getDomain(), state, issued));
        meters.counter("spinup_certificate_reports", "state", state, "applied", applied ? "yes" : "no")
                .increment();
        log.atInfo()
                .setMessage("certificate_status")
                .addKeyValue("host", hostId)
                .addKeyValue("domain", status.getDomain())
                .addKeyValue("state", state)
                .addKeyValue("applied", applied)
                .addKeyValue("message", status.getMessage())
                .log();
    }

    /** The state as the database and the metric name it (pending, issued, failed, expired); null for none. */
    private static String state(CertState s) {
        return s == CertState.CERT_STATE_UNSPECIFIED || s == CertState.UNRECOGNIZED
                ? null
                : dev.spinup.api.ProtoEnums.bare(s).toLowerCase(java.util.Locale.ROOT);
    }
}
