package dev.spinup.controlplane.pki;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's check of client (host) certificates: the JDK's own validation against this control
 * plane's CA, plus a trace of every refusal — a foreign CA, a self-signed certificate, a server
 * certificate offered as a client one, an expired one — which the TLS handshake would otherwise
 * end silently. Each is counted ({@code spinup_tls_handshake_failures_total{reason}}) and logged,
 * at most {@value #LINES_PER_MINUTE} lines a minute per reason (the rest summed into the next line).
 */
public final class ClientCertificateCheck extends X509ExtendedTrustManager {
    private static final Logger log = LoggerFactory.getLogger(ClientCertificateCheck.class);
    static final int LINES_PER_MINUTE = 10;

    private final X509ExtendedTrustManager jdk;
    private final MeterRegistry meters;
    private final Clock clock;
    private final Map<Refusal, Window> windows = new ConcurrentHashMap<>();

    /** Why a client certificate was refused: the metric's and the log line's {@code reason}. */
    enum Refusal {
        EXPIRED,
        NOT_YET_VALID,
        NOT_A_CLIENT_CERTIFICATE,
        SELF_SIGNED,
        UNTRUSTED_ISSUER;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private ClientCertificateCheck(X509ExtendedTrustManager jdk, MeterRegistry meters, Clock clock) {
        this.jdk = jdk;
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (Refusal reason : Refusal.values()) {
            meters.counter("spinup_tls_handshake_failures", "reason", reason.label());
        }
        this.clock = clock;
    }

    /** Trusts client certificates signed by the CA in {@code caCertificate} (PEM). */
    public static TrustManager forCa(Path caCertificate, MeterRegistry meters, Clock clock) {
        try (InputStream in = Files.newInputStream(caCertificate)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return new ClientCertificateCheck(x, meters, clock);
                }
            }
            throw new IllegalStateException("no X.509 trust manager for " + caCertificate);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the CA certificate " + caCertificate, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(
                chain,
                engine == null || engine.getPeerHost() == null
                        ? "unknown"
                        : engine.getPeerHost() + ":" + engine.getPeerPort(),
                () -> jdk.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(
                chain,
                socket == null ? "unknown" : String.valueOf(socket.getRemoteSocketAddress()),
                () -> jdk.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "unknown", () -> jdk.checkClientTrusted(chain, authType));
    }

    private interface Validation {
        void run() throws CertificateException;
    }

    private void check(X509Certificate[] chain, String peer, Validation jdkCheck) throws CertificateException {
        try {
            jdkCheck.run();
        } catch (CertificateException e) {
            refused(e, chain, peer);
            throw e;
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        jdk.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        jdk.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        jdk.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return jdk.getAcceptedIssuers();
    }

    /** Why the JDK refused the certificate, as a metric label. */
    static Refusal reason(CertificateException e, X509Certificate[] chain) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException) {
                return Refusal.EXPIRED;
            }
            if (t instanceof CertificateNotYetValidException) {
                return Refusal.NOT_YET_VALID;
            }
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (m.contains("extended key usage") || m.contains("keyusage") || m.contains("key usage")) {
                return Refusal.NOT_A_CLIENT_CERTIFICATE;
            }
        }
        if (chain != null
                && chain.length > 0
                && chain[0].getSubjectX500Principal().equals(chain[0].getIssuerX500Principal())) {
            return Refusal.SELF_SIGNED;
        }
        return Refusal.UNTRUSTED_ISSUER;
    }

    private void refused(CertificateException e, X509Certificate[] chain, String peer) {
        Refusal reason = reason(e, chain);
        meters.counter("spinup_tls_handshake_failures", "reason", reason.label())
                .increment();
        long suppressed = windows.computeIfAbsent(reason, r -> new Window()).admit(clock.millis());
        if (suppressed >= 0) {
            X509Certificate leaf = chain == null || chain.length == 0 ? null : chain[0];
            log.atWarn()
                    .setMessage("tls_client_refused")
                    .addKeyValue("reason", reason.label())
                    .addKeyValue("peer", peer)
                    .addKeyValue(
                            "subject",
                            leaf == null ? "" : leaf.getSubjectX500Principal().getName())
                    .addKeyValue(
                            "issuer",
                            leaf == null ? "" : leaf.getIssuerX500Principal().getName())
                    .addKeyValue("error", e.getMessage())
                    .addKeyValue("suppressed_since_last", suppressed)
                    .log();
        }
    }

    /** Lines logged per reason per minute; how many were left out in between. */
    private static final class Window {
        private long start;
        private int lines;
        private long left;

        /** -1 to stay quiet; else how many were suppressed since the last line. */
        synchronized long admit(long now) {
            if (now - start >= Duration.ofMinutes(1).toMillis()) {
                start = now;
                lines = 0;
            }
            if (lines >= LINES_PER_MINUTE) {
                left++;
                return -1;
            }
            lines++;
            long s = left;
            left = 0;
            return s;
        }
    }
}
