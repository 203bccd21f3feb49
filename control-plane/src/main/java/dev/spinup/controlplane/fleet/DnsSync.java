package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.store.DnsStore;
import dev.spinup.controlplane.store.DnsStore.DnsRecord;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS that follows its workspaces. Each workspace that is not deleted has its names — its own
 * {@code <id>}, its IDE's {@code <id>--ide} and one {@code <id>--<port>} per preview port, under
 * the workspace domain — point at its home host's edge (an A or AAAA record for an address, a
 * CNAME for a host name); each of its custom domains inside the publisher's zone is a CNAME to its
 * own name, so it follows without a change of its own. Nothing writes DNS in a transition: a recurring pass (one replica at a
 * time) derives what every name should say, compares it with what was published, and sends the
 * differences to the publisher with no transaction open; it records what the server took after
 * it answered. A crash in between sends the same update again, which changes nothing; a failed
 * update is tried again at the next pass. So a name whose workspace moved (a restore elsewhere, a
 * recovery from a lost host, an evacuation) points at its new home within one pass.
 */
public final class DnsSync {
    private static final Logger log = LoggerFactory.getLogger(DnsSync.class);
    /** Names per update message: well under a DNS message's 64 KiB. */
    static final int BATCH = 200;

    private final Transactions db;
    private final DnsPublisher publisher;
    private final String domain;
    private final Clock clock;
    private final Counter published;
    private final Counter deleted;
    private final Counter failures;

    public DnsSync(Transactions db, DnsPublisher publisher, String domain, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.publisher = publisher;
        this.domain = domain;
        this.clock = clock;
        registerMeters(meters);
        this.published = meters.counter("spinup_dns_changes", "change", "published");
        this.deleted = meters.counter("spinup_dns_changes", "change", "deleted");
        this.failures = meters.counter("spinup_dns_update_failures");
    }

    /** The documented series, at 0 from the start, also on a replica that publishes no DNS. */
    public static void registerMeters(MeterRegistry meters) {
        meters.counter("spinup_dns_changes", "change", "published");
        meters.counter("spinup_dns_changes", "change", "deleted");
        meters.counter("spinup_dns_update_failures");
    }

    /** One pass; returns how many names it changed. */
    public int sync() {
        Map<String, DnsRecord> wanted = new HashMap<>();
        for (DnsStore.Named n : db.read(tx -> tx.dns().named())) {
            records(n).forEach(r -> wanted.put(r.name(), r));
        }
        Map<String, DnsRecord> had = new HashMap<>();
        db.read(tx -> tx.dns().published()).forEach(r -> had.put(r.name(), r));
        List<DnsPublisher.NameChange> changes = new ArrayList<>();
        wanted.values().stream()
                .filter(r -> !r.equals(had.get(r.name())))
                .forEach(r -> changes.add(new DnsPublisher.NameChange(had.get(r.name()), r)));
        had.values().stream()
                .filter(r -> !wanted.containsKey(r.name()))
                .forEach(r -> changes.add(new DnsPublisher.NameChange(r, null)));
        changes.sort(java.util.Comparator.comparing(DnsPublisher.NameChange::name));
        int changed = 0;
        for (int i = 0; i < changes.size(); i += BATCH) {
            List<DnsPublisher.NameChange> batch = changes.subList(i, Math.min(i + BATCH, changes.size()));
            try {
                publisher.apply(batch);
            } catch (DnsPublisher.DnsException e) {
                failures.increment();
                log.atWarn()
                        .setMessage("dns_update_failed")
                        .addKeyValue("publisher", publisher.describe())
                        .addKeyValue("names", batch.size())
                        .addKeyValue("error", e.getMessage())
                        .log();
                return changed; // the rest at the next pass
            }
            db.inTransactionVoid(tx -> batch.forEach(c -> {
                if (c.after() != null) {
                    tx.dns().recordPublished(c.after(), clock.instant());
                } else {
                    tx.dns().recordDeleted(c.name());
                }
            }));
            long upserted = batch.stream().filter(c -> c.after() != null).count();
            published.increment(upserted);
            deleted.increment(batch.size() - upserted);
            changed += batch.size();
        }
        if (changed > 0) {
            log.atInfo()
                    .setMessage("dns_published")
                    .addKeyValue("names", changed)
                    .log();
        }
        return changed;
    }

    /** The workspace's names, each pointing at its home host's edge. */
    List<DnsRecord> records(DnsStore.Named n) {
        String host = hostOf(n.edgeAddress());
        String type = isIpv4(host) ? "A" : isIpv6(host) ? "AAAA" : "CNAME";
        List<DnsRecord> records = new ArrayList<>();
        records.add(new DnsRecord(n.workspaceId() + "." + domain, type, host));
        records.add(new DnsRecord(n.workspaceId() + "--ide." + domain, type, host));
        for (int port : n.previewPorts()) {
            records.add(new DnsRecord(n.workspaceId() + "--" + port + "." + domain, type, host));
        }
        for (String custom : n.customDomains()) {
            if (inZone(custom)) {
                records.add(new DnsRecord(custom, "CNAME", n.workspaceId() + "." + domain));
            }
        }
        return records;
    }

    /** Below the publisher's zone (never its apex, where a CNAME may not be): a name it may write. */
    private boolean inZone(String name) {
        String zone = publisher.zone().toLowerCase(java.util.Locale.ROOT);
        return name.toLowerCase(java.util.Locale.ROOT).endsWith("." + zone);
    }

    /** "10.0.0.7:8080" → 10.0.0.7; "[fd00::7]:443" → fd00::7; "edge-7.example:80" → edge-7.example. */
    static String hostOf(String edgeAddress) {
        if (edgeAddress.startsWith("[")) {
            return edgeAddress.substring(1, edgeAddress.indexOf(']'));
        }
        int colon = edgeAddress.lastIndexOf(':');
        return colon < 0 ? edgeAddress : edgeAddress.substring(0, colon);
    }

    private static boolean isIpv4(String host) {
        return host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    /** A host name never holds a colon; an IPv6 literal always does. */
    private static boolean isIpv6(String host) {
        return host.contains(":");
    }
}
