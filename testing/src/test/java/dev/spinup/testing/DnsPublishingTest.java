package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.EvacuateHostRequest;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.dns.Rfc2136Publisher;
import dev.spinup.testing.dns.BindServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.Type;

/**
 * DNS follows its workspaces, against a real BIND: a workspace's names (its own and its IDE's)
 * point at its home host's edge, follow it when it is evacuated to another host, and go when it
 * is deleted. Updates are RFC 2136, signed with TSIG.
 */
class DnsPublishingTest {
    static final String ZONE = "workspaces.localhost"; // the cluster's workspace domain
    static final BindServer bind = BindServer.startInTemporaryDirectory(ZONE);

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.dns(new Rfc2136Publisher.Config(
            "127.0.0.1", bind.port(), ZONE, BindServer.KEY_NAME, bind.secret(), Duration.ofSeconds(30))));

    @AfterAll
    static void stop() {
        bind.close();
    }

    @Test
    void aWorkspacesNamesPointAtItsHomeHostFollowItAndGoWithIt() throws Exception {
        SpinUpCluster cluster = spinup.cluster();
        SpinUpCluster.TestHost a = cluster.startAgent(new Envelope(4, 8, 50));
        cluster.setEdgeAddress(a.id(), "192.0.2.10:80");
        String ws = Workspaces.createActive(cluster.product(), "named");
        SpinUpCluster.TestHost b = cluster.startAgent(new Envelope(4, 8, 50));
        cluster.setEdgeAddress(b.id(), "192.0.2.20:80");

        awaitRecord(cluster, ws + "." + ZONE, List.of("192.0.2.10"));
        assertThat(bind.lookup(ws + "--ide." + ZONE, Type.A)).containsExactly("192.0.2.10");

        Workspaces.awaitSucceeded(
                cluster.product(),
                cluster.admin()
                        .evacuateHost(EvacuateHostRequest.newBuilder()
                                .setHostId(a.id().toString())
                                .build())
                        .getOperations(0));
        awaitRecord(cluster, ws + "." + ZONE, List.of("192.0.2.20"));
        assertThat(bind.lookup(ws + "--ide." + ZONE, Type.A)).containsExactly("192.0.2.20");

        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "delete", ws));
        awaitRecord(cluster, ws + "." + ZONE, List.of());
        assertThat(bind.lookup(ws + "--ide." + ZONE, Type.A)).isEmpty();
        assertThat(cluster.controlPlane().publishDns())
                .as("nothing left to change")
                .isZero();
        assertThat(Workspaces.metric(cluster.metricsPort(), "spinup_dns_update_failures_total")
                        .orElseThrow())
                .isZero();
    }

    /** Publishes (as the recurring pass does) until the server answers {@code expected} for the name. */
    private static void awaitRecord(SpinUpCluster cluster, String name, List<String> expected) {
        Eventually.await(Duration.ofSeconds(30), name + " to resolve to " + expected, () -> {
            cluster.controlPlane().publishDns();
            try {
                return bind.lookup(name, Type.A).equals(expected);
            } catch (IOException e) {
                return false;
            }
        });
    }
}
