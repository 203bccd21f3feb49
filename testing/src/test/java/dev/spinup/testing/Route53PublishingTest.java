package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.AddDomainRequest;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.dns.Route53Publisher;
import dev.spinup.testing.aws.Route53Stub;
import dev.spinup.testing.aws.Route53Stub.RecordSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * DNS that follows its workspaces, published to Route 53 through the real AWS SDK client against
 * a wire-level stub of its REST-XML API that keeps Route 53's rules for change batches. The zone
 * is {@code localhost}: the workspace domain {@code workspaces.localhost} lies in it, and so does a
 * custom domain, which is published as a CNAME to its workspace's own name.
 */
class Route53PublishingTest {
    static final String DOMAIN = "workspaces.localhost"; // the cluster's workspace domain
    static final Route53Stub route53 = new Route53Stub("Z0SPINUPTEST", "localhost");

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.dns(new Route53Publisher.Config(
            "Z0SPINUPTEST", "localhost", Duration.ofSeconds(30), route53.endpoint(), "test-key", "test-secret")));

    @AfterAll
    static void stop() {
        route53.close();
    }

    @Test
    void namesFollowTheirWorkspaceThroughChangeBatchesThatRoute53Accepts() {
        SpinUpCluster cluster = spinup.cluster();
        SpinUpCluster.TestHost a = cluster.startAgent(new Envelope(4, 8, 50));
        cluster.setEdgeAddress(a.id(), "192.0.2.10:80");
        String ws = Workspaces.createActive(cluster.product(), "r53");
        String own = ws + "." + DOMAIN;
        String ide = ws + "--ide." + DOMAIN;
        String shop = "shop-" + ws.substring(0, 8) + ".localhost";
        String outside = "shop.example.test";
        for (String domain : List.of(shop, outside)) {
            Workspaces.awaitSucceeded(
                    cluster.product(),
                    cluster.product()
                            .addDomain(AddDomainRequest.newBuilder()
                                    .setRequestId("add-" + UUID.randomUUID())
                                    .setWorkspaceId(ws)
                                    .setDomain(domain)
                                    .build())
                            .getOperation());
        }

        publishUntil(cluster, own, "A", "192.0.2.10");
        assertThat(route53.at(ide)).containsOnlyKeys("A");
        assertThat(route53.at(shop).get("CNAME"))
                .as("a custom domain in the zone: a CNAME to the workspace's own name")
                .isEqualTo(new RecordSet(shop + ".", "CNAME", 30, List.of(own + ".")));
        assertThat(route53.at(outside))
                .as("a custom domain outside the zone: the customer's")
                .isEmpty();

        // the edge is now reached by a host name, and Route 53 throttles: A becomes CNAME in one batch
        route53.throttleNext(2);
        cluster.setEdgeAddress(a.id(), "edge-a.localhost:80");
        publishUntil(cluster, own, "CNAME", "edge-a.localhost.");
        assertThat(route53.at(own)).as("the A record went in the same batch").containsOnlyKeys("CNAME");
        assertThat(route53.throttled()).isEqualTo(2);
        assertThat(route53.refused()).isZero();

        // a crash after Route 53 took a batch but before it was recorded: the record says the old A
        cluster.database()
                .withHandle(
                        h -> h.execute("UPDATE dns_records SET type = 'A', value = '192.0.2.10' WHERE name = ?", ide));
        assertThat(cluster.controlPlane().publishDns()).isEqualTo(1);
        assertThat(route53.refused())
                .as("the DELETE of the A the zone no longer holds is refused once")
                .isEqualTo(1);
        assertThat(route53.at(ide).get("CNAME").values()).containsExactly("edge-a.localhost.");

        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "delete", ws));
        Eventually.await(Duration.ofSeconds(30), "the workspace's names to go", () -> {
            cluster.controlPlane().publishDns();
            return route53.at(own).isEmpty()
                    && route53.at(ide).isEmpty()
                    && route53.at(shop).isEmpty();
        });
        assertThat(cluster.controlPlane().publishDns())
                .as("nothing left to change")
                .isZero();
        assertThat(Workspaces.metric(cluster.metricsPort(), "spinup_dns_update_failures_total")
                        .orElseThrow())
                .isZero();
    }

    /** Publishes (as the recurring pass does) until the zone holds {@code value} for the name's {@code type}. */
    private static void publishUntil(SpinUpCluster cluster, String name, String type, String value) {
        Eventually.await(Duration.ofSeconds(30), name + " " + type + " " + value + " in the zone", () -> {
            cluster.controlPlane().publishDns();
            Map<String, RecordSet> at = route53.at(name);
            return at.containsKey(type) && at.get(type).values().equals(List.of(value));
        });
    }
}
