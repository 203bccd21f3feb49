package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.spinup.api.v1.CreateEnrollmentTokenRequest;
import dev.spinup.api.v1.GetRegionRequest;
import dev.spinup.api.v1.RegionStatus;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.ScalingActivity;
import dev.spinup.controlplane.fleet.LocalHosts;
import dev.spinup.controlplane.fleet.LocalProvider;
import dev.spinup.controlplane.fleet.Scaler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Warm headroom with the local provider, for real: a region below its headroom gets one decision
 * sized to close the gap, real agents enroll and turn healthy, and the decision ends fulfilled;
 * passes while it is in flight add nothing; a decision a crashed replica recorded but never asked
 * the provider for is carried out by the next pass.
 */
class ScalerTest {
    static final Clock clock = Clock.systemUTC();
    static SpinUpCluster cluster;
    static LocalHosts hosts;
    static Scaler scaler;
    static final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    static Path root;

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        root = spinup.dir().resolve("local-hosts");
        hosts = new LocalHosts(new LocalHosts.Config(
                ChildProcesses.agentCommand(),
                root,
                "localhost:" + cluster.controlPlane().grpcPort(),
                cluster.caCertificate(),
                new Envelope(2, 4, 40), // room for 2 HOBBY workspaces each
                Ports.free(),
                10));
        scaler = new Scaler(
                cluster.database(),
                new LocalProvider(hosts),
                FlavorCatalog.defaults(),
                ScalerTest::token,
                new dev.spinup.controlplane.fleet.FleetTimings(
                        java.time.Duration.ofMinutes(2),
                        java.time.Duration.ofSeconds(30),
                        java.time.Duration.ofMinutes(10),
                        java.time.Duration.ofSeconds(1)),
                (tx, job) -> {}, // no operation waits for room here
                dev.spinup.controlplane.engine.StepHooks.NONE,
                host -> {}, // the local provider takes no host away on its own
                clock,
                meters);
    }

    @AfterAll
    static void stop() throws Exception {
        if (Files.isDirectory(root)) {
            try (Stream<Path> dirs = Files.list(root)) {
                dirs.forEach(d -> hosts.stop(d.getFileName().toString()));
            }
        }
    }

    @Test
    void aRegionBelowItsHeadroomGrowsByOneSizedDecisionOfRealHosts() {
        String region = elastic("grow", 4, 3);
        scaler.tick();
        ScalingActivity a = inFlight(region).orElseThrow(() -> new AssertionError("a decision in flight"));
        assertThat(a.state()).isEqualTo(ScalingActivity.State.REQUESTED);
        assertThat(a.hostsBefore()).isZero();
        assertThat(a.hostsWanted()).as("4 HOBBY at 2 a host").isEqualTo(2);
        assertThat(a.reason()).isEqualTo("headroom 0 of 4 hobby");

        var pending = region(region).getPendingScaleUpsList();
        assertThat(pending).singleElement().satisfies(p -> {
            assertThat(p.getId()).isEqualTo(a.id().toString());
            assertThat(p.getState()).isEqualTo(dev.spinup.api.v1.ScalingActivityState.SCALING_ACTIVITY_STATE_REQUESTED);
            assertThat(p.getHostsWanted()).isEqualTo(2);
            assertThat(p.getProviderActivity()).startsWith("local:" + region);
        });
        assertThat(Workspaces.metric(
                        cluster.metricsPort(), "spinup_region_scale_ups_pending\\{region=\"" + region + "\"}"))
                .hasValue(1.0);

        scaler.tick(); // a burst of passes while it is in flight
        scaler.tick();
        assertThat(hostDirs(region)).as("hosts started for the region").isEqualTo(2);
        assertThat(meters.counter("spinup_scale_ups", "outcome", "decided").count())
                .isEqualTo(1);

        Eventually.await(java.time.Duration.ofMinutes(2), "the decision fulfilled", () -> {
            scaler.tick();
            return inFlight(region).isEmpty();
        });
        RegionStatus status = region(region);
        assertThat(status.getPendingScaleUpsList()).isEmpty();
        assertThat(status.getHostsPlaceable()).isEqualTo(2);
        assertThat(status.getHeadroomFree()).isEqualTo(4);
        scaler.tick();
        assertThat(inFlight(region)).as("at its headroom: nothing more").isEmpty();
        assertThat(meters.counter("spinup_scale_ups", "outcome", "fulfilled").count())
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void aDecisionACrashedReplicaLeftIsCarriedOutByTheNextPass() {
        String region = elastic("crashed", 2, 1);
        cluster.database()
                .inTransaction(tx ->
                        tx.scaling().decide(Ids.newId(clock), region, 0, 1, "headroom 0 of 2 hobby", clock.instant()));
        scaler.tick();
        ScalingActivity a = inFlight(region).orElseThrow();
        assertThat(a.state()).as("the provider asked").isEqualTo(ScalingActivity.State.REQUESTED);
        assertThat(hostDirs(region)).isEqualTo(1);
        Eventually.await(java.time.Duration.ofMinutes(2), "the decision fulfilled", () -> {
            scaler.tick();
            return inFlight(region).isEmpty();
        });
        assertThat(hostDirs(region)).as("one host, not two").isEqualTo(1);
    }

    private static String elastic(String name, int headroom, int maxHosts) {
        String region = cluster.elasticRegion(name + "-" + Long.toHexString(System.nanoTime() % 0xfffff), "local");
        cluster.setRegionCapacity(region, maxHosts, headroom, java.time.Duration.ofMinutes(10));
        return region;
    }

    private static Optional<ScalingActivity> inFlight(String region) {
        return cluster.database().read(tx -> tx.scaling().inFlight(region));
    }

    private static long hostDirs(String region) {
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(d -> d.getFileName().toString().startsWith(region + "-"))
                    .count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static RegionStatus region(String region) {
        return cluster.admin()
                .getRegion(GetRegionRequest.newBuilder().setRegion(region).build())
                .getRegion();
    }

    private static String token(String region) {
        return cluster.admin()
                .createEnrollmentToken(CreateEnrollmentTokenRequest.newBuilder()
                        .setRegion(region)
                        .setTtl(Duration.newBuilder().setSeconds(600))
                        .build())
                .getToken();
    }
}
