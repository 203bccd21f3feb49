package dev.spinup.controlplane.dns;

import static java.util.Objects.requireNonNull;

import dev.spinup.controlplane.aws.AwsCredentials;
import dev.spinup.controlplane.fleet.DnsPublisher;
import dev.spinup.controlplane.store.DnsStore.DnsRecord;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.Change;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.InvalidChangeBatchException;
import software.amazon.awssdk.services.route53.model.ResourceRecord;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

/**
 * Route 53 change batches on one hosted zone, through the AWS SDK. A batch is applied by Route 53
 * as a whole or not at all. A name's new record goes as an UPSERT, so a batch sent twice changes
 * nothing; a name that changes type (A to CNAME) first has its old record deleted in the same
 * batch, and a removed name has its record deleted. Route 53 deletes only the exact record it
 * holds and refuses a batch that deletes one it does not hold (after a crash between its answer
 * and our record of it, or when the TTL changed since): then the publisher reads what the zone
 * holds for the batch's names and sends the batch again with exactly that deleted.
 */
public final class Route53Publisher implements DnsPublisher {
    private static final Set<String> OURS = Set.of("A", "AAAA", "CNAME");

    /**
     * @param hostedZoneId the hosted zone's id (Z...)
     * @param zone the zone's name, e.g. workspaces.example.com
     * @param endpoint a stand-in for Route 53's endpoint (tests); null: AWS's own
     * @param accessKey null: the default credentials chain (an instance profile)
     */
    public record Config(
            String hostedZoneId, String zone, Duration ttl, URI endpoint, String accessKey, String secretKey)
            implements DnsConfig {
        public Config {
            requireNonNull(hostedZoneId, "hostedZoneId");
            requireNonNull(zone, "zone");
            requireNonNull(ttl, "ttl");
        }

        @Override
        public DnsPublisher publisher() {
            return new Route53Publisher(this);
        }
    }

    private final Config config;
    private final Route53Client route53;

    public Route53Publisher(Config config) {
        this.config = config;
        var builder = Route53Client.builder()
                .region(Region.AWS_GLOBAL)
                .credentialsProvider(AwsCredentials.of(config.accessKey(), config.secretKey()));
        if (config.endpoint() != null) {
            builder.endpointOverride(config.endpoint());
        }
        this.route53 = builder.build();
    }

    @Override
    public void apply(List<DnsPublisher.NameChange> changes) throws DnsException {
        if (changes.isEmpty()) {
            return;
        }
        try {
            try {
                send(batch(changes));
            } catch (InvalidChangeBatchException refused) {
                send(batchAgainstZone(changes)); // Route 53 changed nothing: try with what it holds
            }
        } catch (SdkException e) {
            throw new DnsException(describe() + " refused the change batch: " + e.getMessage(), e);
        }
    }

    /** The batch from what was last published. */
    private List<Change> batch(List<DnsPublisher.NameChange> changes) {
        List<Change> batch = new ArrayList<>();
        for (DnsPublisher.NameChange c : changes) {
            if (c.before() != null
                    && (c.after() == null || !c.before().type().equals(c.after().type()))) {
                batch.add(change(ChangeAction.DELETE, set(c.before())));
            }
            if (c.after() != null) {
                batch.add(change(ChangeAction.UPSERT, set(c.after())));
            }
        }
        return batch;
    }

    /** The batch that deletes what the zone holds now for each name (of the types we publish), not what we last sent. */
    private List<Change> batchAgainstZone(List<DnsPublisher.NameChange> changes) {
        List<Change> batch = new ArrayList<>();
        for (DnsPublisher.NameChange c : changes) {
            for (ResourceRecordSet held : held(c.name())) {
                if (c.after() == null || !held.typeAsString().equals(c.after().type())) {
                    batch.add(change(ChangeAction.DELETE, held));
                }
            }
            if (c.after() != null) {
                batch.add(change(ChangeAction.UPSERT, set(c.after())));
            }
        }
        return batch;
    }

    /** The record sets of types A, AAAA and CNAME the zone holds at {@code name}. */
    private List<ResourceRecordSet> held(String name) {
        String wanted = absolute(name);
        return route53
                .listResourceRecordSets(r -> r.hostedZoneId(config.hostedZoneId())
                        .startRecordName(wanted)
                        .maxItems("10"))
                .resourceRecordSets()
                .stream()
                .filter(s -> absolute(s.name()).equals(wanted) && OURS.contains(s.typeAsString()))
                .toList();
    }

    private void send(List<Change> batch) {
        if (!batch.isEmpty()) {
            route53.changeResourceRecordSets(
                    r -> r.hostedZoneId(config.hostedZoneId()).changeBatch(b -> b.changes(batch)));
        }
    }

    private ResourceRecordSet set(DnsRecord r) {
        String value = r.type().equals("CNAME") ? absolute(r.value()) : r.value();
        return ResourceRecordSet.builder()
                .name(absolute(r.name()))
                .type(r.type())
                .ttl(config.ttl().toSeconds())
                .resourceRecords(ResourceRecord.builder().value(value).build())
                .build();
    }

    private static Change change(ChangeAction action, ResourceRecordSet set) {
        return Change.builder().action(action).resourceRecordSet(set).build();
    }

    private static String absolute(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower : lower + ".";
    }

    @Override
    public String zone() {
        return config.zone();
    }

    @Override
    public String describe() {
        return "route53 hosted zone " + config.hostedZoneId() + " (" + config.zone() + ")";
    }
}
