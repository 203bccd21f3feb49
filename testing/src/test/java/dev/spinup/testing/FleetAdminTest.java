package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetHostRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Host;
import dev.spinup.api.v1.HostState;
import dev.spinup.api.v1.ListHostsRequest;
import dev.spinup.api.v1.ListOperationsRequest;
import dev.spinup.api.v1.ListOrphansRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationVerb;
import dev.spinup.api.v1.UndrainHostRequest;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Fleet administration: hosts with derived allocation, draining, the heartbeat lease, orphans, reconcile repairs. */
class FleetAdminTest {
    static final SettableClock clock = new SettableClock();
    static final String ORPHAN = UUID.randomUUID().toString();
    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost agentHost;

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.clock(clock));

    @BeforeAll
    static void start() throws Exception {
        cluster = spinup.cluster();
        // A workspace the control plane never heard of, left on the host by someone else.
        Path stray = Files.createDirectories(spinup.dir().resolve("stray"));
        Files.writeString(
                stray.resolve("workspace.properties"),
                "template=starter\ndisplay_name=stray\nvcpu=1\nram_gb=1\ndisk_gb=1\nport=28999\n");
        agentHost = cluster.startAgent(new Envelope(4, 8, 50), null, host -> {
            Path target = host.resolve("workspaces").resolve(ORPHAN);
            Files.createDirectories(target.getParent());
            Files.move(stray, target);
        });
    }

    @Test
    void hostsShowDerivedAllocationAndDrainingSteersPlacement() {
        // Another test moves the clock past the lease; the agent's next heartbeat brings it back.
        Eventually.await(
                Duration.ofSeconds(30),
                "the agent's host to be healthy",
                () -> state(agentHost.id()) == HostState.HOST_STATE_HEALTHY);
        Host before = cluster.admin()
                .getHost(GetHostRequest.newBuilder()
                        .setHostId(agentHost.id().toString())
                        .build())
                .getHost();
        Operation op = cluster.product()
                .createWorkspace(Workspaces.hobby("on-the-host").build())
                .getOperation();
        assertThat(Workspaces.awaitDone(cluster.product(), op.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        Host host = cluster.admin()
                .getHost(GetHostRequest.newBuilder()
                        .setHostId(agentHost.id().toString())
                        .build())
                .getHost();
        assertThat(host.getState()).isEqualTo(HostState.HOST_STATE_HEALTHY);
        assertThat(host.getConnected()).isTrue();
        assertThat(host.getAllocated().getVcpu())
                .as("derived from its workspaces")
                .isEqualTo(before.getAllocated().getVcpu() + 1);
        assertThat(host.getWorkspaceCount()).isEqualTo(before.getWorkspaceCount() + 1);
        assertThat(cluster.admin()
                        .listHosts(ListHostsRequest.newBuilder()
                                .setRegion(SpinUpCluster.REGION)
                                .build())
                        .getHostsList())
                .extracting(Host::getId)
                .contains(agentHost.id().toString());

        Host drained = cluster.admin()
                .drainHost(DrainHostRequest.newBuilder()
                        .setHostId(agentHost.id().toString())
                        .build())
                .getHost();
        assertThat(drained.getState()).isEqualTo(HostState.HOST_STATE_DRAINING);
        assertThat(drained.getStateReason()).isEqualTo("drained by " + cluster.adminActor());
        assertThat(drained.getStateSince().getSeconds())
                .isEqualTo(clock.instant().getEpochSecond());
        assertError(
                () -> cluster.product()
                        .createWorkspace(Workspaces.hobby("nowhere").build())
                        .getOperation(),
                Status.Code.RESOURCE_EXHAUSTED,
                ErrorReason.ERROR_REASON_NO_CAPACITY);
        Host back = cluster.admin()
                .undrainHost(UndrainHostRequest.newBuilder()
                        .setHostId(agentHost.id().toString())
                        .build())
                .getHost();
        assertThat(back.getState()).isEqualTo(HostState.HOST_STATE_HEALTHY);
        assertThat(back.getStateReason()).isEqualTo("undrained by " + cluster.adminActor());

        assertError(
                () -> cluster.admin()
                        .getHost(GetHostRequest.newBuilder()
                                .setHostId(UUID.randomUUID().toString())
                                .build())
                        .getHost(),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_HOST_NOT_FOUND);
    }

    @Test
    void aHostIsEnrollingUntilItsFirstHeartbeatAndEveryStateSaysSinceWhenAndWhy() {
        UUID silent = Ids.newId(clock);
        cluster.database().inTransactionVoid(tx -> {
            tx.fleet().ensureRegion("quiet", "A region of its own, so no placement lands here");
            tx.fleet().registerHost(silent, "quiet", "silent-" + silent, new Envelope(4, 8, 50));
        });
        assertThat(host(silent).getState()).isEqualTo(HostState.HOST_STATE_ENROLLING);
        assertThat(host(silent).getStateReason()).isEqualTo("registered; waiting for its first heartbeat");

        Instant first = clock.instant();
        cluster.database().inTransactionVoid(tx -> tx.fleet().heartbeat(silent, first));
        assertThat(host(silent))
                .returns(HostState.HOST_STATE_HEALTHY, Host::getState)
                .returns("first heartbeat", Host::getStateReason)
                .returns(first.getEpochSecond(), h -> h.getStateSince().getSeconds());

        clock.advance(Duration.ofSeconds(41));
        Instant expired = clock.instant();
        cluster.controlPlane().checkForDueWork();
        Eventually.await(
                Duration.ofSeconds(30), "the lease to expire", () -> state(silent) == HostState.HOST_STATE_UNHEALTHY);
        assertThat(host(silent))
                .returns(
                        "no heartbeat since " + first.truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                        Host::getStateReason)
                .returns(expired.getEpochSecond(), h -> h.getStateSince().getSeconds());

        cluster.database().inTransactionVoid(tx -> tx.fleet().heartbeat(silent, clock.instant()));
        assertThat(host(silent))
                .returns(HostState.HOST_STATE_HEALTHY, Host::getState)
                .returns("heartbeating again", Host::getStateReason);
    }

    @Test
    void orphansAreListedAndNeverDestroyed() {
        var orphans = Eventually.await(
                Duration.ofSeconds(30),
                "the orphan to be reported",
                () -> cluster.admin()
                        .listOrphans(ListOrphansRequest.newBuilder()
                                .setHostId(agentHost.id().toString())
                                .build())
                        .getOrphansList(),
                list -> !list.isEmpty());
        assertThat(orphans).extracting(o -> o.getWorkspaceId()).containsExactly(ORPHAN);
        assertThat(agentHost.dataDir().resolve("workspaces").resolve(ORPHAN)).exists();
    }

    @Test
    void anIdleWorkspaceInTheWrongLocalStateIsRepairedWhenTheAgentReconnects() throws Exception {
        Eventually.await(
                Duration.ofSeconds(30),
                "the agent's host to be healthy",
                () -> state(agentHost.id()) == HostState.HOST_STATE_HEALTHY);
        Operation stopped = cluster.product()
                .createWorkspace(Workspaces.hobby("will-stop").build())
                .getOperation();
        Operation woken = cluster.product()
                .createWorkspace(Workspaces.hobby("will-wake").build())
                .getOperation();
        Workspaces.awaitSucceeded(cluster.product(), stopped);
        Workspaces.awaitSucceeded(cluster.product(), woken);
        Workspaces.awaitSucceeded(
                cluster.product(), Workspaces.request(cluster.product(), "suspend", woken.getWorkspaceId()));
        double notRunning = metric("spinup_reconcile_mismatches_total\\{kind=\"not_running\"}");
        double runningSuspended = metric("spinup_reconcile_mismatches_total\\{kind=\"running_while_suspended\"}");

        // Behind the control plane's back: one active workspace dies, one suspended one is started.
        long pid = Long.parseLong(Files.readString(agentHost
                        .dataDir()
                        .resolve("workspaces")
                        .resolve(stopped.getWorkspaceId())
                        .resolve("pid"))
                .trim());
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        Eventually.await(
                Duration.ofSeconds(30),
                "the workspace process to be gone",
                () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        agentHost.agent().driver().start(woken.getWorkspaceId());

        agentHost = cluster.restartAgent(agentHost, null, new Envelope(4, 8, 50));

        Eventually.await(
                Duration.ofSeconds(30),
                "both mismatches to be reported",
                () -> metric("spinup_reconcile_mismatches_total\\{kind=\"not_running\"}") > notRunning
                        && metric("spinup_reconcile_mismatches_total\\{kind=\"running_while_suspended\"}")
                                > runningSuspended);
        for (Operation created : java.util.List.of(stopped, woken)) {
            Operation repair = Eventually.await(
                            Duration.ofSeconds(30),
                            "a repair of " + created.getWorkspaceId(),
                            () -> cluster
                                    .admin()
                                    .listOperations(ListOperationsRequest.newBuilder()
                                            .setWorkspaceId(created.getWorkspaceId())
                                            .setVerb(OperationVerb.OPERATION_VERB_REPAIR)
                                            .build())
                                    .getOperationsList()
                                    .stream()
                                    .findFirst(),
                            java.util.Optional::isPresent)
                    .orElseThrow();
            assertThat(Workspaces.awaitDone(cluster.product(), repair.getId()).getStatus())
                    .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        }
        var local = agentHost.agent().driver();
        assertThat(local.find(stopped.getWorkspaceId()))
                .get()
                .satisfies(w -> assertThat(w.state()).isEqualTo(LocalWorkspace.State.RUNNING));
        assertThat(local.find(woken.getWorkspaceId()))
                .get()
                .satisfies(w -> assertThat(w.state()).isNotEqualTo(LocalWorkspace.State.RUNNING));
        assertThat(cluster.product()
                        .getWorkspace(GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(woken.getWorkspaceId())
                                .build())
                        .getWorkspace()
                        .getState())
                .isEqualTo(WorkspaceState.WORKSPACE_STATE_SUSPENDED);
    }

    private static double metric(String series) {
        return Workspaces.metric(cluster.metricsPort(), series).orElse(0);
    }

    private static HostState state(UUID host) {
        return host(host).getState();
    }

    private static Host host(UUID host) {
        return cluster.admin()
                .getHost(GetHostRequest.newBuilder().setHostId(host.toString()).build())
                .getHost();
    }
}
