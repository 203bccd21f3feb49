package dev.spinup.controlplane.dns;

import dev.spinup.controlplane.fleet.DnsPublisher;
import dev.spinup.controlplane.store.DnsStore.DnsRecord;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Update;

/**
 * RFC 2136 dynamic updates, signed with TSIG (HMAC-SHA256), to the zone's primary server, over
 * TCP. Each upsert deletes the name's records and adds the one it should have, in the same update
 * message — applied atomically by the server — so applying it twice changes nothing.
 */
public final class Rfc2136Publisher implements DnsPublisher {
    /** Where the zone's primary is, which zone, the TSIG key, and the records' TTL. */
    public record Config(String host, int port, String zone, String keyName, String keySecret, Duration ttl)
            implements DnsConfig {
        public Config {
            if (keySecret == null || keySecret.isBlank()) {
                throw new IllegalArgumentException("the rfc2136 publisher needs a TSIG key secret");
            }
        }

        @Override
        public DnsPublisher publisher() {
            return new Rfc2136Publisher(this);
        }
    }

    private final Config config;
    private final Name zone;

    public Rfc2136Publisher(Config config) {
        this.config = config;
        try {
            this.zone = Name.fromString(absolute(config.zone()));
        } catch (TextParseException e) {
            throw new IllegalArgumentException("not a DNS zone name: " + config.zone(), e);
        }
    }

    @Override
    public void apply(List<NameChange> changes) throws DnsException {
        if (changes.isEmpty()) {
            return;
        }
        try {
            Update update = new Update(zone);
            for (NameChange c : changes) {
                Name name = Name.fromString(absolute(c.name()));
                update.delete(name); // whatever the name held, of any type
                if (c.after() != null) {
                    update.add(record(name, c.after()));
                }
            }
            SimpleResolver resolver = new SimpleResolver(config.host());
            resolver.setPort(config.port());
            resolver.setTCP(true);
            resolver.setTimeout(Duration.ofSeconds(10));
            resolver.setTSIGKey(new TSIG(TSIG.HMAC_SHA256, config.keyName(), config.keySecret()));
            Message answer = resolver.send(update);
            if (answer.getRcode() != Rcode.NOERROR) {
                throw new DnsException(describe() + " refused the update: " + Rcode.string(answer.getRcode()), null);
            }
        } catch (IOException e) {
            throw new DnsException(describe() + ": " + e.getMessage(), e);
        }
    }

    private Record record(Name name, DnsRecord r) throws IOException {
        long ttl = config.ttl().toSeconds();
        return switch (r.type()) {
            case "A" -> new ARecord(name, DClass.IN, ttl, InetAddress.getByName(r.value()));
            case "AAAA" -> new AAAARecord(name, DClass.IN, ttl, InetAddress.getByName(r.value()));
            default -> new CNAMERecord(name, DClass.IN, ttl, Name.fromString(absolute(r.value())));
        };
    }

    private static String absolute(String name) {
        return name.endsWith(".") ? name : name + ".";
    }

    @Override
    public String zone() {
        return config.zone();
    }

    @Override
    public String describe() {
        return "rfc2136 " + config.host() + ":" + config.port() + " zone " + config.zone();
    }
}
