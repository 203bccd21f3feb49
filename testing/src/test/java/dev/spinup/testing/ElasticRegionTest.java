package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.GetRegionRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationStep;
import dev.spinup.api.v1.RegionStatus;
import dev.spinup.api.v1.StepStatus;
import dev.spinup.api.v1.WorkspaceServiceGrpc.WorkspaceServiceBlockingStub;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ScalingActivity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Elastic regions end to end with the {@code local} provider, for real: the control plane itself
 * starts host agents in child processes, each enrolled with a one-time token, when its regions
 * need them — for waiting creates and for warm headroom — and stops those that stay empty.
 */
class ElasticRegionTest {
    /** Each new host has room for two HOBBY workspaces. */
    static final Envelope HOST = new Envelope(2, 4, 40);

    static final Duration GROWTH = Duration.ofMinutes(3);

    /** The scaler is a recurring job: found by db-scheduler's polling (operations are woken at once). */
    @RegisterExtension
    static final SpinUpExtension spinup =
            SpinUpExtension.with(b -> b.localHosts(HOST).pollingInterval(Duration.ofSeconds(1)));

    static SpinUpCluster cluster;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
    }

    /** A stub per call: each has its own deadline, and these tests take minutes. */
    private static WorkspaceServiceBlockingStub api() {
        return cluster.product();
    }

    @Test
    void aBurstOfCreatesIntoAFullOneHostRegionGrowsItByOneDecisionAndEveryCreateSucceeds() {
        String region = elastic("burst");
        setCapacity(region, 4, 2); // headroom for 2: the region gets its first host
        awaitPlaceable(region, 1);
        setCapacity(region, 4, 0);
        for (int i = 0; i < 2; i++) {
            Workspaces.createActive(api(), Workspaces.hobby("fill-" + i).setRegion(region));
        }
        int decisionsBefore = decisions(region);

        List<Operation> burst = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            burst.add(api().createWorkspace(
                            Workspaces.hobby("burst-" + i).setRegion(region).build())
                    .getOperation());
        }
        Eventually.await(
                GROWTH,
                "a create waiting on the region's scale-up",
                () -> operation(burst.getLast().getId()).getSteps(0).getWaitingOn(),
                w -> w.startsWith("waiting for a new host in region " + region + ": scaling activity local:"));

        for (Operation op : burst) {
            Operation done = awaitDone(op.getId());
            assertThat(done.getStatus())
                    .as(done.getError().getMessage())
                    .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
            OperationStep capacity = done.getSteps(0);
            assertThat(capacity.getName()).isEqualTo("capacity");
            assertThat(capacity.getStatus()).isEqualTo(StepStatus.STEP_STATUS_DONE);
            assertThat(capacity.getCompletedAt().getSeconds() * 1000
                            + capacity.getCompletedAt().getNanos() / 1_000_000)
                    .as("the timeline shows the wait")
                    .isGreaterThan(capacity.getStartedAt().getSeconds() * 1000
                            + capacity.getStartedAt().getNanos() / 1_000_000);
        }
        assertThat(decisions(region)).as("one decision for the burst").isEqualTo(decisionsBefore + 1);
        ScalingActivity grew =
                cluster.database().read(tx -> tx.scaling().latest(region)).orElseThrow();
        assertThat(grew.hostsWanted() - grew.hostsBefore())
                .as("4 HOBBY at 2 a host")
                .isEqualTo(2);
        assertThat(grew.reason()).startsWith("4 waiting for room");
        assertThat(region(region).getHostsPlaceable()).isEqualTo(3);
        assertThat(Workspaces.metric(cluster.metricsPort(), "spinup_scale_up_first_placement_seconds_count")
                        .orElse(0))
                .as("the time from the scale-up's request to its first placement, recorded")
                .isGreaterThanOrEqualTo(1);

        // the burst leaves: two hosts are empty; past the cool-down one of them is given back,
        // the other stays for the headroom of 2 (the first host is full)
        for (Operation op : burst) {
            Workspaces.awaitSucceeded(api(), Workspaces.request(api(), "delete", op.getWorkspaceId()));
        }
        setCapacity(region, 4, 2, Duration.ofSeconds(1));
        List<String> retired = Eventually.await(
                GROWTH,
                "a host retired",
                () -> cluster.database()
                        .withHandle(h -> h.createQuery("SELECT fqdn || ' ' || state_reason FROM hosts"
                                        + " WHERE region_id = :r AND state = 'retired'")
                                .bind("r", region)
                                .mapTo(String.class)
                                .list()),
                r -> !r.isEmpty());
        assertThat(region(region).getHostsPlaceable()).isEqualTo(2);
        assertThat(retired).singleElement().satisfies(r -> assertThat(r).contains(" scale-in: released by local"));
        String fqdn = retired.getFirst().split(" ")[0];
        assertThat(ChildProcesses.pidIn(cluster.localHostsDir().resolve(fqdn).resolve("agent.pid"))
                        .flatMap(ProcessHandle::of)
                        .filter(ProcessHandle::isAlive))
                .as("the retired host's agent stopped")
                .isEmpty();
        assertThat(region(region).getHeadroomFree()).isEqualTo(2);
        assertThat(Workspaces.metric(cluster.metricsPort(), "spinup_scale_ins_retired_total"))
                .hasValue(1.0);
    }

    @Test
    void anEvacuatedHostIsGivenBackToItsProviderOnceItsWorkspacesLeft() {
        String region = elastic("evacuate");
        setCapacity(region, 3, 2);
        awaitPlaceable(region, 1);
        String ws = Workspaces.createActive(api(), Workspaces.hobby("moving").setRegion(region));
        String shelved =
                Workspaces.createActive(api(), Workspaces.hobby("shelved").setRegion(region));
        Workspaces.awaitSucceeded(api(), Workspaces.request(api(), "archive", shelved));
        awaitPlaceable(region, 2); // the headroom they ate is restored: a second host
        String from = workspace(ws).getHostId();
        assertThat(workspace(shelved).getHostId()).isEqualTo(from);

        Workspaces.awaitSucceeded(
                api(),
                cluster.admin()
                        .evacuateHost(dev.spinup.api.v1.EvacuateHostRequest.newBuilder()
                                .setHostId(from)
                                .build())
                        .getOperations(0));
        assertThat(workspace(ws).getHostId()).isNotEqualTo(from);
        assertThat(workspace(shelved).getHostId())
                .as("the archived one's names move with the evacuation")
                .isNotEqualTo(from);
        String retired = Eventually.await(
                GROWTH,
                "the evacuated host retired",
                () -> cluster.database()
                        .withHandle(h -> h.createQuery("SELECT state || ' ' || state_reason FROM hosts WHERE id = :id")
                                .bind("id", java.util.UUID.fromString(from))
                                .mapTo(String.class)
                                .one()),
                s -> s.startsWith("retired"));
        assertThat(retired).contains("scale-in: released by local");
    }

    private static dev.spinup.api.v1.Workspace workspace(String ws) {
        return api().getWorkspace(dev.spinup.api.v1.GetWorkspaceRequest.newBuilder()
                        .setWorkspaceId(ws)
                        .build())
                .getWorkspace();
    }

    @Test
    void headroomEatenByCreatesIsRestored() {
        String region = elastic("headroom");
        setCapacity(region, 3, 2);
        awaitPlaceable(region, 1);
        assertThat(region(region).getHeadroomFree()).isEqualTo(2);

        for (int i = 0; i < 2; i++) {
            Workspaces.createActive(api(), Workspaces.hobby("eat-" + i).setRegion(region));
        }
        Eventually.await(GROWTH, "the headroom restored", () -> region(region), r -> r.getHeadroomFree() == 2);
        assertThat(region(region).getHostsPlaceable()).isEqualTo(2);
    }

    private static String elastic(String name) {
        return cluster.elasticRegion(name + "-" + Long.toHexString(System.nanoTime() % 0xfffff), "local");
    }

    private static void setCapacity(String region, int maxHosts, int headroom) {
        setCapacity(region, maxHosts, headroom, Duration.ofMinutes(10));
    }

    private static void setCapacity(String region, int maxHosts, int headroom, Duration scaleInCoolDown) {
        cluster.setRegionCapacity(region, maxHosts, headroom, scaleInCoolDown);
    }

    private static void awaitPlaceable(String region, int hosts) {
        Eventually.await(
                GROWTH,
                hosts + " placeable hosts in " + region,
                () -> region(region),
                r -> r.getHostsPlaceable() == hosts);
    }

    private static int decisions(String region) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT count(*) FROM scaling_activities WHERE region_id = :r")
                        .bind("r", region)
                        .mapTo(Integer.class)
                        .one());
    }

    private static RegionStatus region(String region) {
        return cluster.admin()
                .getRegion(GetRegionRequest.newBuilder().setRegion(region).build())
                .getRegion();
    }

    private static Operation operation(String id) {
        return api().getOperation(
                        GetOperationRequest.newBuilder().setOperationId(id).build())
                .getOperation();
    }

    private static Operation awaitDone(String id) {
        return Workspaces.awaitDone(api(), id, GROWTH);
    }
}
