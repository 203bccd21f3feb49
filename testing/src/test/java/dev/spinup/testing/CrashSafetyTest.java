package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.HostAgent;
import dev.spinup.agent.HostAgentConfig;
import dev.spinup.agent.commands.CommandHooks;
import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.WorkspaceServiceGrpc.WorkspaceServiceBlockingStub;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.auth.ApiTokens;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.pki.CertificateAuthority;
import dev.spinup.controlplane.postgres.Database;
import dev.spinup.dev.EmbeddedS3;
import dev.spinup.testing.crash.ChildJvm;
import dev.spinup.testing.crash.CrashableControlPlane;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash safety, proven: the control plane runs as a child JVM and is killed with SIGKILL at every
 * step boundary of every verb — before the step, after its effect but before step_state is
 * persisted, and right after the persist — then restarted. Each time the operation must reach its
 * terminal state, the host must match the database, no command may have run twice, and the audit
 * log must hold exactly one request and one outcome. Prints the table of cases.
 */
@Tag("crash")
class CrashSafetyTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @TempDir
    static Path dir;

    /** Each verb's steps, in order; checked against the operation's own timeline in every case. */
    static final Map<String, List<String>> STEPS = new LinkedHashMap<>();

    static {
        STEPS.put("create", List.of("provision", "start", "routes"));
        STEPS.put("suspend", List.of("stop", "routes"));
        STEPS.put("archive", List.of("stop", "snapshot", "verify", "wipe", "routes"));
        STEPS.put("restore", List.of("start", "routes"));
        STEPS.put("resize", List.of("resize"));
        STEPS.put("delete", List.of("destroy", "purge_snapshots", "tombstone"));
    }

    /** RECOVER's steps when it restarts a lost host's active workspace on another host. */
    static final List<String> RECOVER_STEPS = List.of("download", "start", "routes");

    /** EVACUATE's steps for an active workspace. */
    static final List<String> EVACUATE_STEPS =
            List.of("stop", "snapshot", "verify", "download", "start", "routes", "wipe", "old_host_routes");

    /**
     * Steps past their verb's point of no return, each made to fail once on the host: the crash
     * lands in a step that is then retried forward, and the operation must still succeed.
     */
    static final Map<String, List<String>> FORWARD_ONLY = new LinkedHashMap<>();

    static {
        FORWARD_ONLY.put("archive", List.of("wipe", "routes"));
        FORWARD_ONLY.put("delete", List.of("tombstone"));
    }

    static final FailingCommands failOnce = new FailingCommands();
    static final List<String> POINTS = List.of("before", "after_effect", "after_persist");
    static final List<String> table = new ArrayList<>();
    static final Clock clock = Clock.systemUTC();

    static Database db;
    static EmbeddedS3 s3;
    static int port;
    static Process child;
    static int children;
    static HostAgent agent;
    static ManagedChannel channel;
    static WorkspaceServiceBlockingStub api;
    static String token;
    static String adminToken;
    /** The host workspaces are evacuated from: draining (no placements) but while a case puts one there. */
    static HostAgent evacuated;

    static UUID evacuatedId;
    static UUID crashHostId;

    @BeforeAll
    static void start() throws Exception {
        db = new Database(pg.config());
        db.migrate();
        UUID hostId = Ids.newId(clock);
        crashHostId = hostId;
        db.inTransactionVoid(tx -> {
            tx.fleet().ensureRegion(SpinUpCluster.REGION, "Crash region");
            tx.fleet().registerHost(hostId, SpinUpCluster.REGION, "crash-host", new Envelope(200, 400, 5000));
        });
        token = db.inTransaction(tx -> new ApiTokens(clock)
                .create(tx, Ids.newId(clock), "crash-test", Set.of(Principal.SCOPE_WORKSPACES), clock.instant()));
        adminToken = db.inTransaction(tx -> new ApiTokens(clock)
                .create(tx, Ids.newId(clock), "crash-admin", Set.of(Principal.SCOPE_ADMIN), clock.instant()));
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("pki"), "crash CA", clock);
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"))
                .writeTo(dir.resolve("pki/server.crt"), dir.resolve("pki/server.key"));
        ca.issueHost(hostId).writeTo(dir.resolve("host/host.crt"), dir.resolve("host/host.key"));
        s3 = EmbeddedS3.start(dir.resolve("s3"), 0, "crash", "crash-secret", SpinUpCluster.BUCKET);
        port = Ports.free();
        startChild();
        agent = HostAgent.start(
                new HostAgentConfig(
                        List.of("localhost:" + port),
                        dir.resolve("host/host.crt"),
                        dir.resolve("host/host.key"),
                        dir.resolve("pki/ca.crt"),
                        dir.resolve("host"),
                        null,
                        "127.0.0.1",
                        25000,
                        25999,
                        200,
                        400,
                        5000,
                        Duration.ofSeconds(2),
                        Duration.ofSeconds(30)),
                clock,
                failOnce);
        channel = NettyChannelBuilder.forAddress("localhost", port)
                .sslContext(GrpcSslContexts.forClient()
                        .trustManager(dir.resolve("pki/ca.crt").toFile())
                        .build())
                .build();
        Eventually.await(Duration.ofSeconds(30), "the agent to connect", agent::isConnected);
    }

    @AfterAll
    static void stop() throws Exception {
        System.out.println("\nCrash safety: control plane killed with SIGKILL at each step boundary, then restarted");
        System.out.printf("%-8s %-16s %-14s %10s  %s%n", "verb", "step", "kill point", "finished", "outcome");
        System.out.println("(finished: from the restarted replica serving to the operation's end)");
        table.forEach(System.out::println);
        if (channel != null) {
            channel.shutdownNow();
        }
        if (child != null) {
            child.toHandle().destroyForcibly();
            child.waitFor();
        }
        if (Files.isDirectory(dir.resolve("local-hosts"))) {
            try (Stream<Path> hosts = Files.list(dir.resolve("local-hosts"))) {
                hosts.flatMap(h -> ChildProcesses.pidIn(h.resolve("agent.pid")).stream())
                        .flatMap(pid -> ProcessHandle.of(pid).stream())
                        .forEach(ChildProcesses::killTree);
            }
        }
        if (evacuated != null) {
            evacuated.close();
            for (LocalWorkspace w : evacuated.driver().inventory()) {
                evacuated.driver().stop(w.workspaceId(), 0);
            }
        }
        if (agent != null) {
            agent.close();
            for (LocalWorkspace w : agent.driver().inventory()) {
                agent.driver().stop(w.workspaceId(), 0);
            }
        }
        if (s3 != null) {
            s3.close();
        }
        if (db != null) {
            db.close();
        }
    }

    static Stream<Arguments> cases() {
        return CrashCases.of(STEPS, POINTS);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void killedAtAStepBoundaryTheOperationStillCompletesExactlyOnce(String verb, String step, String point)
            throws Exception {
        runCase(verb, step, point, Workspaces.readyFor(client(), verb), false);
    }

    private static void runCase(String verb, String step, String point, String ws, boolean failsOnce) throws Exception {
        Operation op = killedAt(verb, step, point, () -> Workspaces.request(client(), verb, ws));
        long serving = System.nanoTime();

        Operation done = Workspaces.awaitDone(client(), op.getId());
        long finishedMs = (System.nanoTime() - serving) / 1_000_000;
        String outcome = check(verb, done.getWorkspaceId(), done);
        if (failsOnce) {
            assertThat(done.getStepsList())
                    .filteredOn(s -> s.getName().equals(step))
                    .singleElement()
                    .satisfies(s -> assertThat(s.getAttempts())
                            .as("tried again after its failure")
                            .isEqualTo(2));
            outcome += ", " + step + " failed once and was retried forward";
        }
        table.add(String.format(
                "%-8s %-16s %-14s %7d ms  %s",
                verb, step + (failsOnce ? " (fails once)" : ""), point, finishedMs, outcome));
    }

    /**
     * The continuation: an agent's result commits on the replica running the operation, in the
     * same transaction as the claim of the operation's job for a run there, and the replica is
     * killed before that run begins. The job is left picked by a dead replica; the restarted one
     * takes it over as dead and the operation completes, each command run once. The agent holds
     * the step's command until the job's run has ended, so the result finds no run under way and
     * is continued in process (not picked up by a run still ending).
     */
    @ParameterizedTest(name = "create {0} continued")
    @CsvSource({"provision", "start", "routes"})
    void killedBetweenAResultAndItsContinuationInProcessTheOperationStillCompletesExactlyOnce(String step)
            throws Exception {
        failOnce.hold(
                step,
                () -> db.withHandle(h -> h.createQuery(
                                        "SELECT count(*) FROM scheduled_tasks s JOIN operations o ON o.job_id = s.task_instance"
                                                + " WHERE o.status IN ('pending', 'running') AND s.picked")
                                .mapTo(Integer.class)
                                .one())
                        == 0);
        try {
            runCase("create", step, "continued", Workspaces.readyFor(client(), "create"), false);
        } finally {
            failOnce.disarm();
        }
    }

    /**
     * A create into an elastic region with no host: the control plane is killed at the waiting
     * step's boundaries and at the scaler's (decision committed, provider not asked; provider
     * asked, "requested" not recorded). Exactly one scale-up happens, one host is started, and the
     * create finishes.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({
        "create, capacity, before",
        "create, capacity, after_effect",
        "create, capacity, after_persist",
        "scaler, decided, -",
        "scaler, provider_asked, -"
    })
    void killedWhileACreateWaitsForAScaleUpOneHostIsAddedAndTheCreateFinishes(String verb, String step, String point)
            throws Exception {
        String region =
                "crash-" + step.replace('_', '-') + "-" + point.replace("_", "").replace("-", "x");
        db.inTransactionVoid(tx -> {
            tx.fleet().ensureRegion(region, region);
            tx.fleet().setProvider(region, "local");
        });
        Operation op = killedAt(
                verb,
                step,
                point,
                () -> client().createWorkspace(
                                Workspaces.hobby("elastic").setRegion(region).build())
                        .getOperation());
        long serving = System.nanoTime();

        Operation done;
        try {
            done = Workspaces.awaitDone(client(), op.getId());
        } catch (AssertionError e) {
            throw new AssertionError(
                    e.getMessage() + "\n--- control plane log ---\n"
                            + Files.readString(dir.resolve("control-plane-" + children + ".log")),
                    e);
        }
        long finishedMs = (System.nanoTime() - serving) / 1_000_000;
        assertThat(done.getStatus())
                .as(done.getError().getMessage())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        assertThat(done.getStepsList())
                .extracting(s -> s.getName())
                .containsExactly("capacity", "provision", "start", "routes");
        List<String> activities = db.withHandle(
                h -> h.createQuery("SELECT state || ' ' || hosts_before || '->' || hosts_wanted FROM scaling_activities"
                                + " WHERE region_id = :r")
                        .bind("r", region)
                        .mapTo(String.class)
                        .list());
        assertThat(activities)
                .as("one scale-up")
                .singleElement()
                .satisfies(a -> assertThat(a).matches("(requested|fulfilled) 0->1"));
        try (Stream<Path> hosts = Files.list(dir.resolve("local-hosts"))) {
            assertThat(hosts.filter(h -> h.getFileName().toString().startsWith(region + "-")))
                    .as("one host started")
                    .hasSize(1);
        }
        int enrolled = db.withHandle(h -> h.createQuery("SELECT count(*) FROM hosts WHERE region_id = :r")
                .bind("r", region)
                .mapTo(Integer.class)
                .one());
        assertThat(enrolled).as("one host enrolled").isEqualTo(1);
        table.add(String.format(
                "%-8s %-16s %-14s %7d ms  %s",
                verb, step, point, finishedMs, "one scale-up, one host, the create succeeded"));
    }

    static Stream<Arguments> recoverCases() {
        return CrashCases.of(Map.of("recover", RECOVER_STEPS), POINTS);
    }

    /**
     * A lost host's active workspace, recovered onto this test's host from its verified snapshot,
     * the control plane killed at each step boundary of RECOVER: the RECOVER the host-loss scan
     * starts is the only one, and it restarts the workspace here exactly once.
     */
    @ParameterizedTest(name = "{0} {1} {2}", allowZeroInvocations = true)
    @MethodSource("recoverCases")
    void killedWhileRecoveringALostHostsWorkspaceItIsRecoveredExactlyOnce(String verb, String step, String point)
            throws Exception {
        String ws = Workspaces.readyFor(client(), "archive");
        Workspaces.awaitSucceeded(client(), Workspaces.request(client(), "archive", ws));
        UUID id = UUID.fromString(ws);
        UUID ghost = Ids.newId(clock);
        killedAt(verb, step, point, () -> {
            // the workspace ran on a host that is now lost; its archive's snapshot is its newest
            db.inTransactionVoid(tx -> {
                tx.fleet().registerHost(ghost, SpinUpCluster.REGION, "ghost-" + ghost, new Envelope(8, 16, 100));
                tx.fleet().declareLost(ghost, clock.instant(), "crash test: a host that died");
            });
            db.withHandle(h -> h.execute(
                    "UPDATE workspaces SET state = 'active', host_id = ?, home_host_id = ? WHERE id = ?",
                    ghost,
                    ghost,
                    id));
            return null;
        });
        long serving = System.nanoTime();
        List<UUID> recovers = Eventually.await(
                Duration.ofSeconds(60),
                "the RECOVER of " + ws,
                () -> db.withHandle(
                        h -> h.createQuery("SELECT id FROM operations WHERE workspace_id = :ws AND verb = 'recover'")
                                .bind("ws", id)
                                .mapTo(UUID.class)
                                .list()),
                list -> !list.isEmpty());
        Operation done = Workspaces.awaitDone(client(), recovers.getFirst().toString());
        long finishedMs = (System.nanoTime() - serving) / 1_000_000;
        String outcome = check(verb, ws, done);
        int recoverOps = db.withHandle(
                h -> h.createQuery("SELECT count(*) FROM operations WHERE workspace_id = :ws AND verb = 'recover'")
                        .bind("ws", id)
                        .mapTo(Integer.class)
                        .one());
        assertThat(recoverOps).as("one RECOVER").isEqualTo(1);
        assertThat(client().getWorkspace(GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(ws)
                                .build())
                        .getWorkspace()
                        .getHostId())
                .as("on this test's host, not on the lost one")
                .isNotEqualTo(ghost.toString());
        table.add(String.format(
                "%-8s %-16s %-14s %7d ms  %s", verb, step, point, finishedMs, outcome + ", recovered once"));
    }

    static Stream<Arguments> evacuateCases() {
        return CrashCases.of(Map.of("evacuate", EVACUATE_STEPS), POINTS);
    }

    /**
     * An active workspace evacuated from its host (EvacuateHost), the control plane killed at each
     * step boundary of EVACUATE: it ends on the other host, running, with each command run once on
     * either host, and nothing of it left on the evacuated one.
     */
    @ParameterizedTest(name = "{0} {1} {2}", allowZeroInvocations = true)
    @MethodSource("evacuateCases")
    void killedWhileEvacuatingAWorkspaceItMovesExactlyOnce(String verb, String step, String point) throws Exception {
        startEvacuatedHost();
        // the workspace lands on the host to evacuate: the only one taking placements for its create
        setHostState(evacuatedId, "healthy");
        setHostState(crashHostId, "draining");
        String ws;
        try {
            ws = Workspaces.createActive(client(), "evacuee");
        } finally {
            setHostState(crashHostId, "healthy");
        }
        assertThat(evacuated.driver().find(ws))
                .as("placed on the host to evacuate")
                .isPresent();
        Operation op = killedAt(
                verb,
                step,
                point,
                () -> SpinUpCluster.client(channel, adminToken)
                        .evacuateHost(dev.spinup.api.v1.EvacuateHostRequest.newBuilder()
                                .setHostId(evacuatedId.toString())
                                .build())
                        .getOperations(0));
        long serving = System.nanoTime();
        Operation done = Workspaces.awaitDone(client(), op.getId());
        long finishedMs = (System.nanoTime() - serving) / 1_000_000;
        String outcome = check(verb, ws, done);
        for (String s : EVACUATE_STEPS) {
            assertThat(evacuated.timesExecuted(done.getId() + "/" + s))
                    .as("times %s ran on the evacuated host", s)
                    .isLessThanOrEqualTo(1);
        }
        assertThat(evacuated.driver().find(ws))
                .as("nothing left on the evacuated host")
                .isEmpty();
        table.add(String.format(
                "%-8s %-16s %-14s %7d ms  %s", verb, step, point, finishedMs, outcome + ", old copy wiped"));
    }

    /** A second host, started once, draining between cases so the other cases never place on it. */
    private static void startEvacuatedHost() throws Exception {
        if (evacuated != null) {
            return;
        }
        evacuatedId = Ids.newId(clock);
        db.inTransactionVoid(tx -> {
            tx.fleet().registerHost(evacuatedId, SpinUpCluster.REGION, "evacuated-host", new Envelope(200, 400, 5000));
            tx.fleet().drain(evacuatedId, clock.instant(), "crash test: placements only while a case wants them");
        });
        CertificateAuthority.load(dir.resolve("pki/ca.crt"), dir.resolve("pki/ca.key"), clock)
                .issueHost(evacuatedId)
                .writeTo(dir.resolve("evacuated/host.crt"), dir.resolve("evacuated/host.key"));
        evacuated = HostAgent.start(
                new HostAgentConfig(
                        List.of("localhost:" + port),
                        dir.resolve("evacuated/host.crt"),
                        dir.resolve("evacuated/host.key"),
                        dir.resolve("pki/ca.crt"),
                        dir.resolve("evacuated"),
                        null,
                        "127.0.0.1",
                        27000,
                        27999,
                        200,
                        400,
                        5000,
                        Duration.ofSeconds(2),
                        Duration.ofSeconds(30)),
                clock,
                CommandHooks.NONE);
        Eventually.await(Duration.ofSeconds(30), "the evacuated host's agent to connect", evacuated::isConnected);
    }

    private static void setHostState(UUID host, String state) {
        db.withHandle(h -> h.execute("UPDATE hosts SET state = ? WHERE id = ?", state, host));
    }

    /**
     * Makes the request, kills the control plane with SIGKILL where the spec says ("verb step
     * point"), and starts another; returns the request's operation once the new one serves.
     */
    private static Operation killedAt(
            String verb, String step, String point, java.util.function.Supplier<Operation> request) throws Exception {
        Path spec = dir.resolve("crash.spec");
        Path marker = dir.resolve("crash.marker");
        Files.deleteIfExists(marker);
        Files.writeString(spec, verb + " " + step + " " + point);
        Operation op = request.get();
        Eventually.await(
                Duration.ofSeconds(60),
                "the control plane to reach " + verb + "/" + step + "/" + point,
                () -> Files.exists(marker));
        ChildJvm.kill(child);
        Files.delete(spec);
        Files.delete(marker);
        startChild();
        return op;
    }

    static Stream<Arguments> forwardOnlyCases() {
        return CrashCases.of(FORWARD_ONLY, POINTS);
    }

    @ParameterizedTest(name = "{0} {1} {2}, the step failing once", allowZeroInvocations = true)
    @MethodSource("forwardOnlyCases")
    void killedInAStepPastThePointOfNoReturnThatFailsOnceTheOperationStillSucceeds(
            String verb, String step, String point) throws Exception {
        String ws = Workspaces.readyFor(client(), verb);
        failOnce.arm(step, ws, 1);
        try {
            runCase(verb, step, point, ws, true);
        } finally {
            failOnce.disarm();
        }
    }

    /** The invariants after recovery; returns the outcome for the table. */
    private static String check(String verb, String ws, Operation done) {
        assertThat(done.getStatus()).as("%s", done).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        List<String> steps = switch (verb) {
            case "recover" -> RECOVER_STEPS;
            case "evacuate" -> EVACUATE_STEPS;
            default -> STEPS.get(verb);
        };
        assertThat(done.getStepsList()).extracting(s -> s.getName()).containsExactlyElementsOf(steps);
        WorkspaceState state = client().getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(ws).build())
                .getWorkspace()
                .getState();
        WorkspaceState expected = switch (verb) {
            case "suspend" -> WorkspaceState.WORKSPACE_STATE_SUSPENDED;
            case "archive" -> WorkspaceState.WORKSPACE_STATE_ARCHIVED;
            case "delete" -> WorkspaceState.WORKSPACE_STATE_DELETED;
            default -> WorkspaceState.WORKSPACE_STATE_ACTIVE;
        };
        assertThat(state).isEqualTo(expected);

        var local = agent.driver().find(ws);
        if (state == WorkspaceState.WORKSPACE_STATE_ACTIVE) {
            assertThat(local)
                    .as("an active workspace runs on its host")
                    .get()
                    .satisfies(l -> assertThat(l.state()).isEqualTo(LocalWorkspace.State.RUNNING));
        } else if (state == WorkspaceState.WORKSPACE_STATE_SUSPENDED) {
            assertThat(local)
                    .as("a suspended workspace keeps its disk, stopped")
                    .get()
                    .satisfies(l -> assertThat(l.state()).isNotEqualTo(LocalWorkspace.State.RUNNING));
        } else {
            assertThat(local).as("nothing is left on the host").isEmpty();
        }

        for (String step : steps) {
            String command = done.getId() + "/" + step;
            assertThat(agent.timesExecuted(command))
                    .as("times %s ran on the host", command)
                    .isLessThanOrEqualTo(1);
        }
        List<String> audit = db.withHandle(
                h -> h.createQuery("SELECT event_type FROM audit_log WHERE operation_id = :op ORDER BY id")
                        .bind("op", UUID.fromString(done.getId()))
                        .mapTo(String.class)
                        .list());
        assertThat(audit).containsExactly("transition." + verb + ".requested", "transition." + verb + ".succeeded");
        return "SUCCEEDED, " + state.name().toLowerCase() + ", host matches, each command ran once, audit ok";
    }

    private static WorkspaceServiceBlockingStub client() {
        return SpinUpCluster.client(channel, token);
    }

    private static void startChild() throws IOException {
        Path log = dir.resolve("control-plane-" + (++children) + ".log");
        child = ChildJvm.start(
                CrashableControlPlane.class,
                log,
                List.of(
                        pg.config().jdbcUrl(),
                        pg.config().user(),
                        dir.resolve("pki").toString(),
                        s3.endpoint().toString(),
                        SpinUpCluster.BUCKET,
                        "crash",
                        "crash-secret",
                        Integer.toString(port),
                        dir.resolve("crash.spec").toString(),
                        dir.resolve("crash.marker").toString(),
                        dir.resolve("local-hosts").toString(),
                        "2,4,40"));
        try {
            awaitServing();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n--- child log ---\n" + Files.readString(log), e);
        }
    }

    private static void awaitServing() {
        Eventually.await(Duration.ofSeconds(60), "the control plane child to serve", () -> {
            if (!child.isAlive()) {
                throw new AssertionError("the control plane child exited");
            }
            try {
                ManagedChannel probe = NettyChannelBuilder.forAddress("localhost", port)
                        .sslContext(GrpcSslContexts.forClient()
                                .trustManager(dir.resolve("pki/ca.crt").toFile())
                                .build())
                        .build();
                try {
                    return HealthGrpc.newBlockingStub(probe)
                                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                                    .check(HealthCheckRequest.getDefaultInstance())
                                    .getStatus()
                            == HealthCheckResponse.ServingStatus.SERVING;
                } finally {
                    probe.shutdownNow();
                }
            } catch (Exception notYet) {
                return false;
            }
        });
    }
}
