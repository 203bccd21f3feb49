package dev.spinup.agent.edge;

import com.google.protobuf.Timestamp;
import dev.spinup.api.v1.CertState;
import dev.spinup.api.v1.CertificateStatus;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Finds out which certificate the edge really serves for each routed name — by a TLS handshake
 * with that name against the local listener — and reports every change of state: pending until
 * Caddy serves a certificate for the name, issued while it does, expired after its notAfter,
 * failed when none came within the issuance deadline. Names already issued are checked again hourly.
 */
final class CertificateWatch {
    private static final Duration RECHECK_ISSUED = Duration.ofHours(1);

    private final InetSocketAddress listener;
    private final Duration issuanceDeadline;
    private final Consumer<CertificateStatus> report;
    private final Map<String, CertState> reported = new HashMap<>();
    private final Map<String, Instant> firstSeen = new HashMap<>();
    private final Map<String, Instant> nextCheck = new HashMap<>();
    private List<String> names = List.of();
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

    CertificateWatch(InetSocketAddress listener, Duration issuanceDeadline, Consumer<CertificateStatus> report) {
        this.listener = listener;
        this.issuanceDeadline = issuanceDeadline;
        this.report = report;
    }

    /** The names the edge now routes (after an apply). */
    void track(List<String> hostnames) {
        lock.lock();
        try {
            this.names = List.copyOf(hostnames);
            reported.keySet().retainAll(names);
            firstSeen.keySet().retainAll(names);
            nextCheck.keySet().retainAll(names);
        } finally {
            lock.unlock();
        }
    }

    /** Probes the names that are due and reports those whose state changed. */
    void check(Instant now) {
        lock.lock();
        try {
            checkLocked(now);
        } finally {
            lock.unlock();
        }
    }

    /** One TLS handshake per due name: network I/O, under a lock rather than a monitor. */
    private void checkLocked(Instant now) {
        for (String name : names) {
            if (now.isBefore(nextCheck.getOrDefault(name, Instant.MIN))) {
                continue;
            }
            firstSeen.putIfAbsent(name, now);
            CertificateStatus status = probe(name, now);
            nextCheck.put(name, status.getState() == CertState.CERT_STATE_ISSUED ? now.plus(RECHECK_ISSUED) : now);
            if (status.getState() != reported.get(name)) {
                reported.put(name, status.getState());
                report.accept(status);
            }
        }
    }

    private CertificateStatus probe(String name, Instant now) {
        CertificateStatus.Builder status = CertificateStatus.newBuilder().setDomain(name);
        try (SSLSocket socket = (SSLSocket) trustAll().getSocketFactory().createSocket()) {
            socket.connect(listener, 2000);
            socket.setSoTimeout(2000);
            SSLParameters params = socket.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(name)));
            socket.setSSLParameters(params);
            socket.startHandshake();
            X509Certificate leaf = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            status.setNotBefore(timestamp(leaf.getNotBefore().toInstant()))
                    .setNotAfter(timestamp(leaf.getNotAfter().toInstant()));
            if (!covers(leaf, name)) {
                return pendingOrFailed(status, name, now, "the edge serves a certificate for other names");
            }
            if (now.isAfter(leaf.getNotAfter().toInstant())) {
                return status.setState(CertState.CERT_STATE_EXPIRED)
                        .setMessage("expired " + leaf.getNotAfter().toInstant())
                        .build();
            }
            return status.setState(CertState.CERT_STATE_ISSUED)
                    .setMessage("issued by " + leaf.getIssuerX500Principal().getName())
                    .build();
        } catch (Exception e) {
            return pendingOrFailed(
                    status, name, now, "no certificate yet: " + dev.spinup.agent.drivers.DriverException.reason(e));
        }
    }

    private CertificateStatus pendingOrFailed(CertificateStatus.Builder status, String name, Instant now, String why) {
        boolean late = now.isAfter(firstSeen.get(name).plus(issuanceDeadline));
        return status.setState(late ? CertState.CERT_STATE_FAILED : CertState.CERT_STATE_PENDING)
                .setMessage(late ? "none issued within " + issuanceDeadline.toSeconds() + " s; " + why : why)
                .build();
    }

    private static boolean covers(X509Certificate cert, String name) throws Exception {
        if (cert.getSubjectAlternativeNames() == null) {
            return false;
        }
        for (List<?> san : cert.getSubjectAlternativeNames()) {
            if ((Integer) san.get(0) == 2) { // dNSName
                String dns = ((String) san.get(1)).toLowerCase(java.util.Locale.ROOT);
                if (dns.equals(name)
                        || (dns.startsWith("*.")
                                && name.endsWith(dns.substring(1))
                                && name.indexOf('.') == name.length() - dns.length() + 1)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The probe asks what is served, not whether it is trusted: any certificate is accepted here. */
    private static SSLContext trustAll() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(
                null,
                new TrustManager[] {
                    new X509TrustManager() {
                        @Override
                        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

                        @Override
                        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

                        @Override
                        public X509Certificate[] getAcceptedIssuers() {
                            return new X509Certificate[0];
                        }
                    }
                },
                null);
        return ctx;
    }

    private static Timestamp timestamp(Instant i) {
        return Timestamp.newBuilder()
                .setSeconds(i.getEpochSecond())
                .setNanos(i.getNano())
                .build();
    }
}
