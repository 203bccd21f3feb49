package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.DeclareHostLostRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetHostRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.HostState;
import dev.spinup.api.v1.ListOperationsRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationVerb;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.fleet.FleetTimings;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Losing a host, end to end with the process driver and an injected clock: host A's agent (a
 * child JVM) is killed with SIGKILL, and so are the processes of one of its workspaces; the clock
 * moves past the lease and the loss grace while host B keeps heartbeating. A is fenced, and each of
 * its workspaces is recovered once: the active one runs on B with the data of its last periodic
 * snapshot (a differential on a full one), the suspended one is archived from its snapshot (and a
 * RESTORE brings it back), the one with no snapshot is archived with none. When A's agent comes
 * back it is refused, stops what it still runs, and keeps the disks.
 */
class HostLossTest {
    static final SettableClock clock = new SettableClock();
    static final Duration LEASE = Duration.ofSeconds(40); // the control plane's default
    static final Duration GRACE = Duration.ofMinutes(5);

    static final String ZONE = "workspaces.localhost"; // the cluster's workspace domain
    static final dev.spinup.testing.dns.BindServer bind =
            dev.spinup.testing.dns.BindServer.startInTemporaryDirectory(ZONE);

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.clock(clock)
            .agentHeartbeat(Duration.ofSeconds(1))
            .fleetTimings(FleetTimings.defaults().withHostLossGrace(GRACE))
            .dns(new dev.spinup.controlplane.dns.Rfc2136Publisher.Config(
                    "127.0.0.1",
                    bind.port(),
                    ZONE,
                    dev.spinup.testing.dns.BindServer.KEY_NAME,
                    bind.secret(),
                    Duration.ofSeconds(30))));

    static SpinUpCluster cluster;
    static SpinUpCluster.RegisteredHost hostA;
    static Process agentA;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        hostA = cluster.registerHost(new Envelope(4, 8, 50));
    }

    @AfterAll
    static void stop() throws Exception {
        bind.close();
        if (agentA != null) {
            agentA.destroyForcibly();
            agentA.waitFor(30, TimeUnit.SECONDS);
        }
        for (Long pid : workspacePids()) {
            ProcessHandle.of(pid).ifPresent(ChildProcesses::killTree);
        }
    }

    @Test
    void aLostHostIsFencedAndEachOfItsWorkspacesIsRecoveredOnce() throws Exception {
        agentA = startAgentA("first");
        String kept = Workspaces.createActive(cluster.product(), "kept");
        String sleeping = Workspaces.createActive(cluster.product(), "sleeping");
        String fresh = Workspaces.createActive(cluster.product(), "fresh");
        String keptUrl = workspace(kept).getUrl();

        // periodic snapshots of kept (a full one, then a differential) and of sleeping, then sleeping is suspended
        setSnapshotInterval(List.of(kept, sleeping), 60);
        Workspaces.putNote(keptUrl, "first", "written before the full snapshot");
        UUID full = nextPeriodicSnapshot(kept, 1);
        Workspaces.putNote(keptUrl, "second", "written before the differential");
        UUID differential = nextPeriodicSnapshot(kept, 2);
        assertThat(baseOf(differential))
                .as("the second periodic snapshot builds on the first")
                .isEqualTo(full);
        assertThat(periodicSnapshots(sleeping)).isNotEmpty();
        setSnapshotInterval(List.of(kept, sleeping), 86_400);
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "suspend", sleeping));
        Workspaces.putNote(keptUrl, "third", "written after the last snapshot: lost with the host");
        Instant recoveryPoint = createdAt(differential);

        // A's edge is reached at one address, B's at another; kept's name points at A
        cluster.setEdgeAddress(hostA.id(), "192.0.2.10:80");
        Eventually.await(Duration.ofSeconds(30), "kept's name to point at A", () -> resolves(kept, "192.0.2.10"));

        // B joins; A's agent and kept's processes die; fresh's processes outlive them (as on a host cut off)
        SpinUpCluster.TestHost hostB = cluster.startAgent(new Envelope(4, 8, 50));
        cluster.setEdgeAddress(hostB.id(), "192.0.2.20:80");
        long freshPid = pidOf(fresh).orElseThrow();
        agentA.toHandle().destroyForcibly(); // SIGKILL to the agent's JVM alone
        agentA.waitFor(30, TimeUnit.SECONDS);
        pidOf(kept).flatMap(ProcessHandle::of).ifPresent(ChildProcesses::killTree);

        // the clock moves past the lease and the grace in steps B's heartbeats keep up with
        Instant lastHeard = lastHeartbeat(hostA.id());
        while (!clock.instant().isAfter(lastHeard.plus(LEASE).plus(GRACE))) {
            clock.advance(Duration.ofSeconds(30));
            Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS); // as stored
            UUID b = cluster.hosts().getFirst().id();
            Eventually.await(
                    Duration.ofSeconds(30),
                    "host B's heartbeat at " + now,
                    () -> !lastHeartbeat(b).isBefore(now));
            cluster.controlPlane().checkForDueWork();
        }
        Eventually.await(
                Duration.ofSeconds(30), "host A to be lost", () -> hostState(hostA.id()) == HostState.HOST_STATE_LOST);
        assertThat(cluster.admin()
                        .getHost(GetHostRequest.newBuilder()
                                .setHostId(hostA.id().toString())
                                .build())
                        .getHost()
                        .getStateReason())
                .contains("no heartbeat");

        Operation keptRecovered = recovered(kept);
        assertThat(keptRecovered.getStatus())
                .as(keptRecovered.getError().getMessage())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        assertThat(keptRecovered.getActor()).isEqualTo("system");
        assertThat(keptRecovered.getStepsList())
                .extracting(s -> s.getName())
                .containsExactly("download", "start", "routes");
        assertThat(Instant.ofEpochSecond(
                        keptRecovered.getRecoveryPoint().getSeconds(),
                        keptRecovered.getRecoveryPoint().getNanos()))
                .as("the recovery point: the differential's time")
                .isEqualTo(recoveryPoint);
        Workspace keptNow = workspace(kept);
        assertThat(keptNow.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(keptNow.getHostId())
                .isEqualTo(cluster.hosts().getFirst().id().toString());
        assertThat(Workspaces.get(keptNow.getUrl() + "/notes/first").body())
                .isEqualTo("written before the full snapshot");
        assertThat(Workspaces.get(keptNow.getUrl() + "/notes/second").body())
                .isEqualTo("written before the differential");
        assertThat(Workspaces.get(keptNow.getUrl() + "/notes/third").statusCode())
                .as("written after the recovery point")
                .isEqualTo(404);
        Eventually.await(Duration.ofSeconds(30), "kept's name to follow it to B", () -> resolves(kept, "192.0.2.20"));

        Operation sleepingRecovered = recovered(sleeping);
        assertThat(sleepingRecovered.getStatus()).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        assertThat(workspace(sleeping).getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ARCHIVED);
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "restore", sleeping));
        assertThat(workspace(sleeping).getHostId())
                .isEqualTo(cluster.hosts().getFirst().id().toString());

        Operation freshRecovered = recovered(fresh);
        assertThat(freshRecovered.getStatus()).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        assertThat(freshRecovered.hasRecoveryPoint())
                .as("no snapshot, no recovery point")
                .isFalse();
        Workspace freshNow = workspace(fresh);
        assertThat(freshNow.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ARCHIVED);
        assertThat(freshNow.getStateReason()).isEqualTo(ErrorReason.ERROR_REASON_NO_SNAPSHOT);
        // archived ones keep nothing on A but their names and page: those move to B at the next scan
        clock.advance(Duration.ofSeconds(6));
        cluster.controlPlane().checkForDueWork();
        Eventually.await(Duration.ofSeconds(30), "fresh's name to move to B", () -> resolves(fresh, "192.0.2.20"));
        assertThat(workspace(fresh).getHostId())
                .isEqualTo(cluster.hosts().getFirst().id().toString());
        assertThat(Workspaces.metric(
                                cluster.metricsPort(), "spinup_workspaces_recovered_total\\{outcome=\"no_snapshot\"}")
                        .orElseThrow())
                .isEqualTo(1.0);
        assertThat(Workspaces.metric(cluster.metricsPort(), "spinup_workspaces_recovered_total\\{outcome=\"restart\"}")
                        .orElseThrow())
                .isEqualTo(1.0);

        // each workspace was recovered once; declaring A lost again changes nothing
        cluster.admin()
                .declareHostLost(DeclareHostLostRequest.newBuilder()
                        .setHostId(hostA.id().toString())
                        .setReason("again")
                        .build());
        cluster.controlPlane().checkForDueWork();
        for (String ws : List.of(kept, sleeping, fresh)) {
            assertThat(recoveries(ws)).as("RECOVER operations of %s", ws).hasSize(1);
        }
        assertThat(auditedLosses(hostA.id())).containsExactly("system");

        // A's agent comes back: refused, it stops what still runs there and keeps every disk
        assertThat(ProcessHandle.of(freshPid).map(ProcessHandle::isAlive))
                .as("fresh still runs on A")
                .hasValue(true);
        agentA = startAgentA("back");
        Eventually.await(
                Duration.ofSeconds(60),
                "fresh's processes on A to stop",
                () -> ProcessHandle.of(freshPid).map(p -> !p.isAlive()).orElse(true));
        Path backLog = hostA.dataDir().resolve("agent-back.log");
        Eventually.await(
                Duration.ofSeconds(30),
                "the agent to log that it was fenced and stopped fresh",
                () -> read(backLog),
                log -> log.contains("event=host_fenced reason=HOST_LOST")
                        && log.contains("event=fenced_workspace_stopped workspace=" + fresh));
        for (String ws : List.of(kept, fresh)) {
            assertThat(hostA.dataDir().resolve("workspaces").resolve(ws).resolve("disk"))
                    .as("%s's disk on the lost host, kept for forensics", ws)
                    .isDirectory();
        }
        assertThat(agentA.isAlive())
                .as("the fenced agent keeps running, refused")
                .isTrue();
    }

    @Test
    void declaringAHostLostTakesAReasonAnExistingHostAndTheAdminScope() {
        ApiAssertions.assertError(
                () -> cluster.admin()
                        .declareHostLost(DeclareHostLostRequest.newBuilder()
                                .setHostId(UUID.randomUUID().toString())
                                .build()),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_FIELD_INVALID);
        ApiAssertions.assertError(
                () -> cluster.admin()
                        .declareHostLost(DeclareHostLostRequest.newBuilder()
                                .setHostId(UUID.randomUUID().toString())
                                .setReason("rack on fire")
                                .build()),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_HOST_NOT_FOUND);
        ApiAssertions.assertError(
                () -> cluster.product()
                        .declareHostLost(DeclareHostLostRequest.newBuilder()
                                .setHostId(hostA.id().toString())
                                .setReason("not mine to say")
                                .build()),
                Status.Code.PERMISSION_DENIED,
                ErrorReason.ERROR_REASON_SCOPE_REQUIRED);
    }

    /** The periodic snapshot scan, due after the clock moved past the interval, takes the n-th one. */
    private static UUID nextPeriodicSnapshot(String ws, int n) {
        clock.advance(Duration.ofSeconds(61));
        cluster.controlPlane().checkForDueWork();
        Eventually.await(
                Duration.ofSeconds(60),
                "periodic snapshot " + n + " of " + ws + ", its operation ended",
                () -> periodicSnapshots(ws).size() >= n && snapshotsInFlight(ws) == 0);
        return periodicSnapshots(ws).get(n - 1);
    }

    private static long snapshotsInFlight(String ws) {
        return cluster
                .product()
                .listOperations(ListOperationsRequest.newBuilder()
                        .setWorkspaceId(ws)
                        .setVerb(OperationVerb.OPERATION_VERB_SNAPSHOT)
                        .build())
                .getOperationsList()
                .stream()
                .filter(op -> op.getStatus() == OperationStatus.OPERATION_STATUS_PENDING
                        || op.getStatus() == OperationStatus.OPERATION_STATUS_RUNNING)
                .count();
    }

    /** Verified periodic snapshots, oldest first. */
    private static List<UUID> periodicSnapshots(String ws) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT id FROM snapshots WHERE workspace_id = :ws AND kind = 'periodic'"
                                + " AND verified_at IS NOT NULL ORDER BY created_at, id")
                        .bind("ws", UUID.fromString(ws))
                        .mapTo(UUID.class)
                        .list());
    }

    private static UUID baseOf(UUID snapshot) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT base_id FROM snapshots WHERE id = :id")
                        .bind("id", snapshot)
                        .mapTo(UUID.class)
                        .one());
    }

    private static Instant createdAt(UUID snapshot) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT created_at FROM snapshots WHERE id = :id")
                        .bind("id", snapshot)
                        .mapTo(Instant.class)
                        .one());
    }

    private static void setSnapshotInterval(List<String> workspaces, int seconds) {
        for (String ws : workspaces) {
            cluster.database()
                    .withHandle(h -> h.execute(
                            "UPDATE workspaces SET snapshot_interval_seconds = ? WHERE id = ?",
                            seconds,
                            UUID.fromString(ws)));
        }
    }

    /** Publishes the names (as the recurring pass does), then asks BIND where the workspace's name points. */
    private static boolean resolves(String ws, String address) {
        cluster.controlPlane().publishDns();
        try {
            return bind.lookup(ws + "." + ZONE, org.xbill.DNS.Type.A).equals(List.of(address));
        } catch (IOException e) {
            return false;
        }
    }

    private static Instant lastHeartbeat(UUID host) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT last_heartbeat_at FROM hosts WHERE id = :id")
                        .bind("id", host)
                        .mapTo(Instant.class)
                        .one());
    }

    private static HostState hostState(UUID host) {
        return cluster.admin()
                .getHost(GetHostRequest.newBuilder().setHostId(host.toString()).build())
                .getHost()
                .getState();
    }

    private static Workspace workspace(String ws) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(ws).build())
                .getWorkspace();
    }

    private static List<Operation> recoveries(String ws) {
        return cluster.product()
                .listOperations(ListOperationsRequest.newBuilder()
                        .setWorkspaceId(ws)
                        .setVerb(OperationVerb.OPERATION_VERB_RECOVER)
                        .build())
                .getOperationsList();
    }

    /** The workspace's one RECOVER, once it has ended. */
    private static Operation recovered(String ws) {
        Operation op = Eventually.await(
                        Duration.ofSeconds(60), "the RECOVER of " + ws, () -> recoveries(ws), list -> !list.isEmpty())
                .getFirst();
        return Workspaces.awaitDone(cluster.product(), op.getId());
    }

    private static List<String> auditedLosses(UUID host) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT actor FROM audit_log"
                                + " WHERE event_type = 'host.lost' AND event_data->>'hostId' = :host")
                        .bind("host", host.toString())
                        .mapTo(String.class)
                        .list());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    private static Optional<Long> pidOf(String ws) {
        return ChildProcesses.pidIn(
                hostA.dataDir().resolve("workspaces").resolve(ws).resolve("pid"));
    }

    private static List<Long> workspacePids() throws IOException {
        Path dir = hostA.dataDir().resolve("workspaces");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var pids = Files.find(dir, 2, (p, a) -> p.endsWith("pid"))) {
            return pids.flatMap(p -> ChildProcesses.pidIn(p).stream()).toList();
        }
    }

    /** Host A's agent: the real agent Main in a JVM of its own, on A's certificate and data directory. */
    private static Process startAgentA(String name) throws IOException {
        Path log = hostA.dataDir().resolve("agent-" + name + ".log");
        int from = 21_000 + (int) (ProcessHandle.current().pid() % 45) * 20;
        List<String> command = new java.util.ArrayList<>(ChildProcesses.agentCommand());
        command.addAll(List.of(
                "--control-plane",
                "localhost:" + cluster.controlPlane().grpcPort(),
                "--cert",
                hostA.dataDir().resolve("host.crt").toString(),
                "--key",
                hostA.dataDir().resolve("host.key").toString(),
                "--ca",
                cluster.caCertificate().toString(),
                "--data-dir",
                hostA.dataDir().toString(),
                "--port-range",
                from + "-" + (from + 20),
                "--heartbeat-seconds",
                "1",
                "--metrics-port",
                "0"));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (name.equals("first")) {
            Eventually.await(Duration.ofSeconds(60), "agent A to connect", () -> {
                if (!p.isAlive()) {
                    throw new AssertionError("agent A exited: " + log);
                }
                return hostState(hostA.id()) == HostState.HOST_STATE_HEALTHY;
            });
        }
        return p;
    }
}
