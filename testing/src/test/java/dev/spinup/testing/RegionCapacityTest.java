package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetRegionRequest;
import dev.spinup.api.v1.RegionCapacity;
import dev.spinup.api.v1.RegionStatus;
import dev.spinup.api.v1.SetRegionCapacityRequest;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import io.grpc.Status;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * GetRegion and SetRegionCapacity: a region's hosts by state, its free room over the hosts that
 * take placements, how many workspaces of the headroom flavor still fit against the target, and
 * capacity settings that are checked field by field and audited.
 */
class RegionCapacityTest {
    static final String REGION = "capacity-test";
    static SpinUpCluster cluster;

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        Clock clock = Clock.systemUTC();
        UUID big = Ids.newId(clock);
        UUID small = Ids.newId(clock);
        UUID drained = Ids.newId(clock);
        UUID enrolling = Ids.newId(clock);
        cluster.database().inTransactionVoid(tx -> {
            tx.fleet().ensureRegion(REGION, "Capacity test");
            tx.fleet().registerHost(big, REGION, "big-" + big, new Envelope(4, 8, 50));
            tx.fleet().registerHost(small, REGION, "small-" + small, new Envelope(2, 2, 10));
            tx.fleet().registerHost(drained, REGION, "drained-" + drained, new Envelope(64, 64, 640));
            tx.fleet().registerHost(enrolling, REGION, "new-" + enrolling, new Envelope(64, 64, 640));
            for (UUID h : List.of(big, small, drained)) {
                tx.fleet().heartbeat(h, clock.instant());
            }
        });
        cluster.admin()
                .drainHost(DrainHostRequest.newBuilder()
                        .setHostId(drained.toString())
                        .build())
                .getHost();
    }

    @Test
    void aRegionShowsItsHostsByStateItsFreeRoomAndItsHeadroom() {
        RegionStatus status = setCapacity(
                RegionCapacity.newBuilder().setHeadroomWorkspaces(10).setHeadroomFlavor(Flavor.FLAVOR_HOBBY));
        assertThat(region()).isEqualTo(status);
        assertThat(status.getRegion().getId()).isEqualTo(REGION);
        assertThat(status.getHosts()).isEqualTo(4);
        assertThat(status.getHostsPlaceable()).isEqualTo(2);
        assertThat(status.getHostsEnrolling()).isEqualTo(1);
        assertThat(status.getHostsDraining()).isEqualTo(1);
        assertThat(status.getFree())
                .as("the two healthy hosts' room; the drained and the enrolling one take no placements")
                .isEqualTo(dev.spinup.api.v1.Envelope.newBuilder()
                        .setVcpu(6)
                        .setRamGb(10)
                        .setDiskGb(60)
                        .build());
        // HOBBY is 1 vCPU, 1 GiB, 5 GB: 4 fit on the big host (its vCPUs), 2 on the small one.
        assertThat(status.getHeadroomFree()).isEqualTo(6);
        assertThat(status.getHeadroomTarget()).isEqualTo(10);
    }

    @Test
    void capacitySettingsAreCheckedAppliedAndAudited() {
        RegionStatus set = cluster.admin()
                .setRegionCapacity(SetRegionCapacityRequest.newBuilder()
                        .setRegion(REGION)
                        .setCapacity(RegionCapacity.newBuilder()
                                .setMinHosts(1)
                                .setMaxHosts(5)
                                .setHeadroomWorkspaces(3)
                                .setHeadroomFlavor(Flavor.FLAVOR_PRO)
                                .setScaleInCoolDown(com.google.protobuf.Duration.newBuilder()
                                        .setSeconds(300)))
                        .build())
                .getRegion();
        assertThat(region().getCapacity()).isEqualTo(set.getCapacity());
        assertThat(set.getCapacity().getMaxHosts()).isEqualTo(5);
        assertThat(set.getHeadroomTarget()).isEqualTo(3);
        // PRO is 2 vCPU, 4 GiB, 20 GB: 2 fit on the big host (its RAM), none on the small one.
        assertThat(set.getHeadroomFree()).isEqualTo(2);
        List<String> audit = cluster.database()
                .withHandle(h -> h.createQuery(
                                "SELECT event_data::text || ' ' || actor FROM audit_log WHERE event_type = 'region.capacity_set'")
                        .mapTo(String.class)
                        .list());
        assertThat(audit)
                .anySatisfy(a -> assertThat(a)
                        .contains("\"region\": \"" + REGION + "\"")
                        .contains("\"maxHosts\": \"5\"")
                        .contains("\"headroom\": \"3 pro\"")
                        .endsWith(cluster.adminActor()));

        assertError(
                () -> setCapacity(RegionCapacity.newBuilder().setMinHosts(4).setMaxHosts(2)),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_FIELD_INVALID);
        assertError(
                () -> setCapacity(RegionCapacity.newBuilder().setHeadroomFlavor(Flavor.FLAVOR_CUSTOM)),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_UNKNOWN_FLAVOR);
        assertError(
                () -> setCapacity(RegionCapacity.newBuilder()
                        .setScaleInCoolDown(
                                com.google.protobuf.Duration.newBuilder().setSeconds(8 * 86_400))),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_FIELD_INVALID);
        assertThat(region().getCapacity())
                .as("a refused change changes nothing")
                .isEqualTo(set.getCapacity());

        var unknown = assertError(
                () -> cluster.admin()
                        .getRegion(GetRegionRequest.newBuilder()
                                .setRegion("nowhere")
                                .build())
                        .getRegion(),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_REGION_NOT_FOUND);
        assertThat(unknown.getMetadataMap()).containsEntry("region", "nowhere");
        assertError(
                () -> cluster.admin()
                        .setRegionCapacity(SetRegionCapacityRequest.newBuilder()
                                .setRegion("nowhere")
                                .build())
                        .getRegion(),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_REGION_NOT_FOUND);
    }

    @Test
    void everyReplicaPublishesEachRegionsHostsAndHeadroomFreshAtEachScrape() {
        RegionStatus status = region();
        for (var expected : java.util.Map.of("enrolling", 1, "healthy", 2, "draining", 1, "retired", 0)
                .entrySet()) {
            assertThat(metric("spinup_region_hosts\\{region=\"" + REGION + "\",state=\"" + expected.getKey() + "\"}"))
                    .as("hosts %s", expected.getKey())
                    .isEqualTo(expected.getValue().doubleValue());
        }
        assertThat(metric("spinup_region_headroom_free\\{region=\"" + REGION + "\"}"))
                .isEqualTo((double) status.getHeadroomFree());
        assertThat(metric("spinup_region_headroom_target\\{region=\"" + REGION + "\"}"))
                .isEqualTo((double) status.getHeadroomTarget());
    }

    private static double metric(String series) {
        return Workspaces.metric(cluster.metricsPort(), series).orElseThrow(() -> new AssertionError(series));
    }

    private static RegionStatus region() {
        return cluster.admin()
                .getRegion(GetRegionRequest.newBuilder().setRegion(REGION).build())
                .getRegion();
    }

    private static RegionStatus setCapacity(RegionCapacity.Builder capacity) {
        return cluster.admin()
                .setRegionCapacity(SetRegionCapacityRequest.newBuilder()
                        .setRegion(REGION)
                        .setCapacity(capacity)
                        .build())
                .getRegion();
    }
}
