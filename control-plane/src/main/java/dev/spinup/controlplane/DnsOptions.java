package dev.spinup.controlplane;

import dev.spinup.controlplane.dns.Rfc2136Publisher;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code serve}'s options for publishing workspaces' names in DNS. */
final class DnsOptions {
    @Option(
            names = "--dns",
            defaultValue = "${env:SPINUP_DNS:-none}",
            description = "Where workspaces' names are published: none (dev: *.localhost resolves already) or rfc2136"
                    + " (dynamic updates signed with TSIG to the zone's primary) (default: ${DEFAULT-VALUE}).")
    String kind;

    @Option(
            names = "--dns-server",
            defaultValue = "${env:SPINUP_DNS_SERVER}",
            description = "rfc2136: the zone's primary server, host:port (env SPINUP_DNS_SERVER).")
    String server;

    @Option(
            names = "--dns-zone",
            defaultValue = "${env:SPINUP_DNS_ZONE}",
            description = "rfc2136: the zone updated (env SPINUP_DNS_ZONE; default: the workspace domain).")
    String zone;

    @Option(
            names = "--dns-tsig-key-name",
            defaultValue = "${env:SPINUP_DNS_TSIG_KEY_NAME:-spinup}",
            description = "rfc2136: the TSIG key's name (HMAC-SHA256; its secret, base64, in SPINUP_DNS_TSIG_SECRET)"
                    + " (default: ${DEFAULT-VALUE}).")
    String keyName;

    @Option(
            names = "--dns-ttl",
            defaultValue = "${env:SPINUP_DNS_TTL:-60}",
            description = "The records' TTL in seconds: how long a resolver may keep a name's old home after it moved"
                    + " (default: ${DEFAULT-VALUE}).")
    int ttlSeconds;

    /** The publisher's settings; null for none. */
    Rfc2136Publisher.Config config(String workspaceDomain) {
        if (kind == null || kind.equals("none")) {
            return null;
        }
        if (!kind.equals("rfc2136")) {
            throw new IllegalArgumentException("--dns takes none or rfc2136 (got \"" + kind + "\")");
        }
        if (server == null || !server.matches("[^:]+:\\d{1,5}")) {
            throw new IllegalArgumentException("--dns rfc2136 needs --dns-server host:port (got \"" + server + "\")");
        }
        if (ttlSeconds < 1 || ttlSeconds > 86_400) {
            throw new IllegalArgumentException("--dns-ttl takes 1 to 86400 seconds (got " + ttlSeconds + ")");
        }
        String secret = dev.spinup.api.Settings.current()
                .get("SPINUP_DNS_TSIG_SECRET")
                .orElseThrow(() -> new IllegalArgumentException(
                        "--dns rfc2136 needs the TSIG key's secret in SPINUP_DNS_TSIG_SECRET"));
        int colon = server.lastIndexOf(':');
        return new Rfc2136Publisher.Config(
                server.substring(0, colon),
                Integer.parseInt(server.substring(colon + 1)),
                zone == null || zone.isBlank() ? workspaceDomain : zone,
                keyName,
                secret,
                Duration.ofSeconds(ttlSeconds));
    }
}
