package dev.spinup.edge;

import java.util.Objects;

/**
 * How this host's Caddy listens.
 *
 * @param adminListen  Caddy's admin API (keep it on loopback)
 * @param listen       where the edge answers workspace requests, e.g. {@code :80} or {@code 127.0.0.1:8080}
 * @param tls          OFF: plain HTTP only (dev and tests); INTERNAL: HTTPS with certificates from
 *                     Caddy's own local CA (dev with HTTPS); ACME: HTTPS with certificates from a
 *                     public ACME CA (production; needs {@code acmeEmail} and public DNS)
 * @param retryAfterSeconds Retry-After on the suspended page
 * @param hostLabel    this host's name, sent along when it forwards a request to another host
 * @param authDial     where the host's access verifier answers Caddy's {@code forward_auth}
 *                     checks ({@code host:port} on loopback); empty: every private name is refused
 * @param accessLog    the file Caddy logs published apps' requests to (one JSON object per line:
 *                     the host agent reads it for their activity); empty: none
 */
public record EdgeSettings(
        String adminListen,
        String listen,
        Tls tls,
        String acmeEmail,
        int retryAfterSeconds,
        String hostLabel,
        String authDial,
        String accessLog) {
    public enum Tls {
        OFF,
        INTERNAL,
        ACME
    }

    public EdgeSettings {
        Objects.requireNonNull(adminListen, "adminListen");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(tls, "tls");
        if (tls == Tls.ACME && (acmeEmail == null || acmeEmail.isBlank())) {
            throw new IllegalArgumentException("ACME certificates need an account e-mail");
        }
        if (retryAfterSeconds <= 0) {
            throw new IllegalArgumentException("retryAfterSeconds must be positive");
        }
        hostLabel = hostLabel == null ? "" : hostLabel;
        authDial = authDial == null ? "" : authDial;
        accessLog = accessLog == null ? "" : accessLog;
    }

    /** Without an access verifier (yet): see {@link #withAuthDial}. */
    public EdgeSettings(
            String adminListen, String listen, Tls tls, String acmeEmail, int retryAfterSeconds, String hostLabel) {
        this(adminListen, listen, tls, acmeEmail, retryAfterSeconds, hostLabel, "", "");
    }

    /** The same settings with the access verifier at {@code dial}. */
    public EdgeSettings withAuthDial(String dial) {
        return new EdgeSettings(adminListen, listen, tls, acmeEmail, retryAfterSeconds, hostLabel, dial, accessLog);
    }

    /** The same settings with published apps' requests logged to {@code file}. */
    public EdgeSettings withAccessLog(String file) {
        return new EdgeSettings(adminListen, listen, tls, acmeEmail, retryAfterSeconds, hostLabel, authDial, file);
    }

    /** Plain HTTP on {@code listen}, admin on {@code adminListen}: what dev mode and the tests use. */
    public static EdgeSettings plainHttp(String adminListen, String listen, String hostLabel) {
        return new EdgeSettings(adminListen, listen, Tls.OFF, null, 30, hostLabel);
    }
}
