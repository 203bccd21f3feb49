package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetHostRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.testing.crash.ChildJvm;
import dev.spinup.testing.crash.CrashableHostAgent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The agent half of the crash table: the host agent runs as a child JVM and is killed with SIGKILL
 * in the middle of every command of every verb — after the command is durably accepted but before
 * it runs, after its effect but before its result is recorded, and after the record but before the
 * result is sent — then started again on the same data directory. Each time the operation must end,
 * the host must match the database, no command may have been executed twice except a convergent one
 * re-run to its end, and the audit log must hold one request and one outcome.
 *
 * <p>Expected outcomes: a recorded result is re-sent (SUCCEEDED); a convergent command (stop,
 * destroy, wipe, routes, resize) is re-run (SUCCEEDED); provision, start and snapshot are reported
 * lost and the operation rolls back with AGENT_RECONNECTED_WITHOUT_COMPLETION.
 */
@Tag("crash")
class AgentCrashSafetyTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @TempDir
    static Path dir;

    /** Each verb's steps that send a command to the agent, in order. */
    static final Map<String, List<String>> COMMANDS = new LinkedHashMap<>();

    static final Set<String> CONVERGENT = Set.of("stop", "wipe", "routes", "resize", "destroy");

    static {
        COMMANDS.put("create", List.of("provision", "start", "routes"));
        COMMANDS.put("suspend", List.of("stop", "routes"));
        COMMANDS.put("archive", List.of("stop", "snapshot", "wipe", "routes"));
        COMMANDS.put("restore", List.of("start", "routes"));
        COMMANDS.put("resize", List.of("resize"));
        COMMANDS.put("delete", List.of("destroy"));
    }

    static final List<String> POINTS = List.of("accepted", "effect", "recorded");
    static final List<String> table = new ArrayList<>();

    static SpinUpCluster cluster;
    static SpinUpCluster.RegisteredHost host;
    static Process agent;
    static int agents;

    @BeforeAll
    static void start() {
        cluster = SpinUpCluster.builder(pg.config(), dir).start();
        host = cluster.registerHost(new Envelope(200, 400, 5000));
        startAgent();
    }

    @AfterAll
    static void stop() throws Exception {
        System.out.println("\nCrash safety: host agent killed with SIGKILL inside each command, then restarted");
        System.out.printf("%-8s %-10s %-10s %s%n", "verb", "command", "kill point", "outcome");
        table.forEach(System.out::println);
        if (agent != null) {
            ChildJvm.kill(agent);
        }
        // The workspace processes outlive the agent: stop whatever is still running.
        try (Stream<Path> pids = Files.find(
                host.dataDir().resolve("workspaces"),
                2,
                (p, a) -> p.getFileName().toString().equals("pid"))) {
            pids.forEach(p -> pid(p).flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly));
        } catch (IOException ignored) {
            // nothing was started
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    static Stream<Arguments> cases() {
        return CrashCases.of(COMMANDS, POINTS);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void killedInsideACommandTheOperationStillEndsAndTheHostMatches(String verb, String step, String point)
            throws Exception {
        String ws = Workspaces.readyFor(cluster.product(), verb);
        Path spec = dir.resolve("agent-crash.spec");
        Path marker = dir.resolve("agent-crash.marker");
        Files.writeString(spec, step + " " + point);

        Operation op = Workspaces.request(cluster.product(), verb, ws);
        Eventually.await(
                Duration.ofSeconds(60),
                "the agent to reach " + verb + "/" + step + "/" + point,
                () -> Files.exists(marker));
        ChildJvm.kill(agent);
        assertThat(Files.readString(marker)).startsWith(op.getId() + "/" + step);
        Files.delete(spec);
        Files.delete(marker);
        startAgent();

        Operation done = Workspaces.awaitDone(cluster.product(), op.getId());
        boolean survives = point.equals("recorded") || CONVERGENT.contains(step);
        if (survives) {
            assertThat(done.getStatus()).as("%s", done).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        } else {
            assertThat(done.getStatus()).as("%s", done).isEqualTo(OperationStatus.OPERATION_STATUS_ROLLED_BACK);
            assertThat(done.getError().getReason())
                    .isEqualTo(ErrorReason.ERROR_REASON_AGENT_RECONNECTED_WITHOUT_COMPLETION);
        }
        Workspace after = cluster.product()
                .getWorkspace(GetWorkspaceRequest.newBuilder()
                        .setWorkspaceId(done.getWorkspaceId())
                        .build())
                .getWorkspace();
        assertHostMatches(after);
        assertNothingInStorageWithoutARecord(after);
        assertExecutedOnce(done, step);
        List<String> audit = cluster.database()
                .withHandle(h -> h.createQuery("SELECT event_type FROM audit_log WHERE operation_id = :op ORDER BY id")
                        .bind("op", UUID.fromString(done.getId()))
                        .mapTo(String.class)
                        .list());
        assertThat(audit)
                .containsExactly(
                        "transition." + verb + ".requested",
                        "transition." + verb + "."
                                + done.getStatus()
                                        .name()
                                        .substring("OPERATION_STATUS_".length())
                                        .toLowerCase());
        table.add(String.format(
                "%-8s %-10s %-10s %s, %s, host matches, audit ok",
                verb,
                step,
                point,
                dev.spinup.api.ProtoEnums.bare(done.getStatus())
                        + (survives
                                ? ""
                                : " ("
                                        + dev.spinup.api.ProtoEnums.bare(
                                                done.getError().getReason()) + ")"),
                dev.spinup.api.ProtoEnums.bare(after.getState()).toLowerCase()));
    }

    /** What runs on the host is what the database says: a running app answering, a stopped disk, or nothing. */
    private static void assertHostMatches(Workspace w) {
        Path local = host.dataDir().resolve("workspaces").resolve(w.getId());
        Optional<ProcessHandle> process =
                pid(local.resolve("pid")).flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
        if (w.getState() == WorkspaceState.WORKSPACE_STATE_ACTIVE) {
            assertThat(process).as("an active workspace runs on its host").isPresent();
            assertThat(Workspaces.get(w.getUrl() + "/healthz").statusCode()).isEqualTo(200);
        } else if (w.getState() == WorkspaceState.WORKSPACE_STATE_SUSPENDED) {
            assertThat(local).as("a suspended workspace keeps its disk").isDirectory();
            assertThat(process).as("a suspended workspace does not run").isEmpty();
        } else {
            assertThat(local)
                    .as("an %s workspace leaves nothing on the host", w.getState())
                    .doesNotExist();
        }
    }

    /**
     * Every object under the workspace's prefix in object storage is a snapshot the database still
     * stands for (an upload cut off before its result was recorded is deleted with the rollback).
     */
    private static void assertNothingInStorageWithoutARecord(Workspace w) throws IOException {
        Path prefix = cluster.storedObject("workspaces/" + w.getId());
        List<String> stored = new ArrayList<>();
        if (Files.isDirectory(prefix)) {
            try (Stream<Path> files = Files.walk(prefix)) {
                files.filter(Files::isRegularFile)
                        .forEach(f -> stored.add("s3://" + SpinUpCluster.BUCKET + "/workspaces/" + w.getId() + "/"
                                + prefix.relativize(f)));
            }
        }
        List<String> recorded = cluster.database()
                .withHandle(h -> h.createQuery(
                                "SELECT object_uri FROM snapshots WHERE workspace_id = :ws AND purged_at IS NULL")
                        .bind("ws", UUID.fromString(w.getId()))
                        .mapTo(String.class)
                        .list());
        assertThat(stored)
                .as("objects of %s workspace %s in storage", w.getState(), w.getId())
                .containsExactlyInAnyOrderElementsOf(recorded);
    }

    /** Across every agent process: a command ran at most once, or twice when it converges and was cut off. */
    private static void assertExecutedOnce(Operation done, String killedStep) throws IOException {
        Map<String, Long> runs = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("executions.log"))) {
            if (line.startsWith(done.getId() + "/")) {
                runs.merge(line.substring(line.indexOf('/') + 1), 1L, Long::sum);
            }
        }
        runs.forEach((step, times) -> {
            long allowed = step.equals(killedStep) && CONVERGENT.contains(step) ? 2 : 1;
            assertThat(times)
                    .as("times %s/%s began on the host", done.getId(), step)
                    .isLessThanOrEqualTo(allowed);
        });
    }

    private static Optional<Long> pid(Path pidFile) {
        try {
            return Files.exists(pidFile)
                    ? Optional.of(Long.parseLong(Files.readString(pidFile).trim()))
                    : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void startAgent() {
        agent = ChildJvm.start(
                CrashableHostAgent.class,
                dir.resolve("agent-" + (++agents) + ".log"),
                List.of(
                        "localhost:" + cluster.controlPlane().grpcPort(),
                        host.dataDir().toString(),
                        cluster.caCertificate().toString(),
                        dir.resolve("agent-crash.spec").toString(),
                        dir.resolve("agent-crash.marker").toString(),
                        dir.resolve("executions.log").toString()));
        Eventually.await(Duration.ofSeconds(60), "the agent child to connect", () -> {
            assertThat(agent.isAlive()).as("the agent child is running").isTrue();
            return cluster.admin()
                    .getHost(GetHostRequest.newBuilder()
                            .setHostId(host.id().toString())
                            .build())
                    .getHost()
                    .getConnected();
        });
    }
}
