package dev.spinup.controlplane;

import dev.spinup.controlplane.dns.DnsConfig;
import dev.spinup.controlplane.dns.Rfc2136Publisher;
import dev.spinup.controlplane.dns.Route53Publisher;
import java.net.URI;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code serve}'s options for publishing workspaces' names in DNS. */
final class DnsOptions {
    @Option(
            names = "--dns",
            defaultValue = "${env:SPINUP_DNS:-none}",
            description = "Where workspaces' names are published: none (dev: *.localhost resolves already), rfc2136"
                    + " (dynamic updates signed with TSIG to the zone's primary) or route53 (change batches on a"
                    + " hosted zone) (default: ${DEFAULT-VALUE}).")
    String kind;

    @Option(
            names = "--dns-server",
            defaultValue = "${env:SPINUP_DNS_SERVER}",
            description = "rfc2136: the zone's primary server, host:port (env SPINUP_DNS_SERVER).")
    String server;

    @Option(
            names = "--dns-zone",
            defaultValue = "${env:SPINUP_DNS_ZONE}",
            description = "The zone updated (env SPINUP_DNS_ZONE; default: the workspace domain). Custom domains"
                    + " inside it are published as CNAMEs to their workspace's name.")
    String zone;

    @Option(
            names = "--dns-route53-zone-id",
            defaultValue = "${env:SPINUP_DNS_ROUTE53_ZONE_ID}",
            description =
                    "route53: the hosted zone's id, e.g. Z0123456789ABC (env SPINUP_DNS_ROUTE53_ZONE_ID). Credentials and"
                            + " --aws-endpoint as for the aws-asg provider.")
    String route53ZoneId;

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

    /**
     * The publisher's settings; null for none.
     *
     * @param awsEndpoint route53: a stand-in for AWS's endpoint (--aws-endpoint), or null
     */
    DnsConfig config(String workspaceDomain, URI awsEndpoint) {
        if (kind == null || kind.equals("none")) {
            return null;
        }
        if (ttlSeconds < 1 || ttlSeconds > 86_400) {
            throw new IllegalArgumentException("--dns-ttl takes 1 to 86400 seconds (got " + ttlSeconds + ")");
        }
        String dnsZone = zone == null || zone.isBlank() ? workspaceDomain : zone;
        var settings = dev.spinup.api.Settings.current();
        return switch (kind) {
            case "rfc2136" -> {
                if (server == null || !server.matches("[^:]+:\\d{1,5}")) {
                    throw new IllegalArgumentException(
                            "--dns rfc2136 needs --dns-server host:port (got \"" + server + "\")");
                }
                String secret = settings.get("SPINUP_DNS_TSIG_SECRET")
                        .orElseThrow(() -> new IllegalArgumentException(
                                "--dns rfc2136 needs the TSIG key's secret in SPINUP_DNS_TSIG_SECRET"));
                int colon = server.lastIndexOf(':');
                yield new Rfc2136Publisher.Config(
                        server.substring(0, colon),
                        Integer.parseInt(server.substring(colon + 1)),
                        dnsZone,
                        keyName,
                        secret,
                        Duration.ofSeconds(ttlSeconds));
            }
            case "route53" -> {
                if (route53ZoneId == null || !route53ZoneId.matches("[A-Z0-9]{1,32}")) {
                    throw new IllegalArgumentException(
                            "--dns route53 needs --dns-route53-zone-id, the hosted zone's id (got \"" + route53ZoneId
                                    + "\")");
                }
                yield new Route53Publisher.Config(
                        route53ZoneId,
                        dnsZone,
                        Duration.ofSeconds(ttlSeconds),
                        awsEndpoint,
                        settings.get("SPINUP_AWS_ACCESS_KEY").orElse(null),
                        settings.get("SPINUP_AWS_SECRET_KEY").orElse(null));
            }
            default ->
                throw new IllegalArgumentException("--dns takes none, rfc2136 or route53 (got \"" + kind + "\")");
        };
    }
}
