package dev.spinup.bench;

import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.controlplane.core.Envelope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A create that finds no room in an elastic region (the {@code local} provider) → SUCCEEDED on
 * the new host the control plane starts for it, and the control plane's own share of that: the
 * whole time minus the new agent's start and enrollment (from the scaling decision to the host's
 * first heartbeat, read off the database). Baseline, in the same run: a create into the same
 * region once the host is there (room on it, no scale-up).
 */
@Command(
        name = "scale-up",
        mixinStandardHelpOptions = true,
        description = "Create -> active through a scale-up (local provider), and the control plane's share of it.")
final class ScaleUpBench implements Callable<Integer> {
    /** Each new host holds two HOBBY workspaces: the scale-up's create and the baseline's. */
    static final Envelope HOST = new Envelope(2, 4, 40);

    @Option(names = "--quick", description = "2 scale-ups instead of 10 (CI).")
    boolean quick;

    @Mixin
    BenchPostgres pg;

    @Option(
            names = "--results",
            defaultValue = "bench/results",
            description = "Where to write scale-up.json (default: ${DEFAULT-VALUE}).")
    Path results;

    @Override
    public Integer call() throws Exception {
        int n = quick ? 2 : 10;
        Path dir = ScratchDir.create("scale-up");
        List<Long> total = new ArrayList<>();
        List<Long> agent = new ArrayList<>();
        List<Long> controlPlane = new ArrayList<>();
        List<Long> baseline = new ArrayList<>();
        try (BenchPostgres.Scratch scratch = pg.create(
                        "spinup_bench_scale_up_" + ProcessHandle.current().pid());
                BenchCluster cluster = new BenchCluster(
                        dir.resolve("cluster"),
                        scratch.url(),
                        pg.user,
                        0,
                        hostDir -> {
                            throw new IllegalStateException("no in-process hosts");
                        },
                        false,
                        HOST)) {
            try {
                for (int i = -1; i < n; i++) { // -1: warm-up (JIT, connections, first agent JVM)
                    String region = "scale-" + (i + 1);
                    cluster.db.inTransactionVoid(tx -> {
                        tx.fleet().ensureRegion(region, region);
                        tx.fleet().setProvider(region, "local");
                    });
                    long started = System.nanoTime();
                    Operation op = awaitSucceeded(cluster, create(cluster, region));
                    long took = System.nanoTime() - started;
                    long agentNanos = agentStartAndEnrollment(cluster, region);
                    long base = System.nanoTime();
                    awaitSucceeded(cluster, create(cluster, region));
                    long baseTook = System.nanoTime() - base;
                    if (i >= 0) {
                        total.add(took);
                        agent.add(agentNanos);
                        controlPlane.add(took - agentNanos);
                        baseline.add(baseTook);
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "%s: %s in %.0f ms (new agent %.0f ms), then a create with room %.0f ms%n",
                            i < 0 ? "warm-up" : "scale-up " + (i + 1) + "/" + n,
                            op.getStatus()
                                    .name()
                                    .replace("OPERATION_STATUS_", "")
                                    .toLowerCase(Locale.ROOT),
                            took / 1e6,
                            agentNanos / 1e6,
                            baseTook / 1e6);
                }
            } finally {
                stopLocalHosts(dir.resolve("cluster/local-hosts"));
            }
        }
        Stats all = Stats.ofNanos(total);
        Stats newAgent = Stats.ofNanos(agent);
        Stats own = Stats.ofNanos(controlPlane);
        Stats base = Stats.ofNanos(baseline);
        System.out.println();
        System.out.println(
                "CreateWorkspace into a full elastic region -> SUCCEEDED on a new local host (process driver)");
        System.out.println("machine: " + Stats.machine() + (quick ? "  (quick mode)" : ""));
        print("create through a scale-up:", all);
        print("  new agent start + enroll:", newAgent);
        print("  control plane's own share:", own);
        print("baseline, a create with room:", base);
        Files.createDirectories(results);
        Path out = results.resolve("scale-up.json");
        Files.writeString(
                out,
                String.format(
                        Locale.ROOT,
                        """
                {
                  "scenario": "scale-up",
                  "machine": "%s",
                  "quick": %s,
                  "create_through_scale_up": %s,
                  "new_agent_start_and_enrollment": %s,
                  "control_plane_share": %s,
                  "baseline_create_with_room": %s
                }
                """,
                        Stats.machine(),
                        quick,
                        all.json(),
                        newAgent.json(),
                        own.json(),
                        base.json()));
        System.out.println("written to " + out);
        return 0;
    }

    private static void print(String what, Stats s) {
        System.out.printf(
                Locale.ROOT,
                "%-30s p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  (n=%d)%n",
                what,
                s.p50(),
                s.p99(),
                s.max(),
                s.n());
    }

    private static Operation create(BenchCluster cluster, String region) {
        return cluster.api
                .createWorkspace(CreateWorkspaceRequest.newBuilder()
                        .setRequestId(UUID.randomUUID().toString())
                        .setExternalWorkspaceId("bench-" + UUID.randomUUID())
                        .setExternalUserId("bench")
                        .setDisplayName("bench")
                        .setRegion(region)
                        .setFlavor(Flavor.FLAVOR_HOBBY)
                        .build())
                .getOperation();
    }

    private static Operation awaitSucceeded(BenchCluster cluster, Operation op) {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        GetOperationRequest get =
                GetOperationRequest.newBuilder().setOperationId(op.getId()).build();
        Operation last = cluster.api.getOperation(get).getOperation();
        while (last.getStatus() == OperationStatus.OPERATION_STATUS_PENDING
                || last.getStatus() == OperationStatus.OPERATION_STATUS_RUNNING) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for create " + op.getId());
            }
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos()); // polling the API, bounded by the deadline
            last = cluster.api.getOperation(get).getOperation();
        }
        if (last.getStatus() != OperationStatus.OPERATION_STATUS_SUCCEEDED) {
            throw new IllegalStateException("create failed: " + last.getError());
        }
        return last;
    }

    /** From the region's scaling decision to its new host's first heartbeat (when it turned healthy). */
    private static long agentStartAndEnrollment(BenchCluster cluster, String region) {
        return cluster.db.withHandle(h -> h.createQuery("""
                        SELECT a.decided_at, h.state_since FROM scaling_activities a
                        JOIN hosts h ON h.region_id = a.region_id
                        WHERE a.region_id = :region AND h.state_reason = 'first heartbeat'
                        ORDER BY a.decided_at LIMIT 1""")
                .bind("region", region)
                .map((rs, ctx) -> Duration.between(
                                rs.getTimestamp("decided_at").toInstant(),
                                rs.getTimestamp("state_since").toInstant())
                        .toNanos())
                .one());
    }

    /** The local provider's agents outlive the control plane: stop them with what they started. */
    private static void stopLocalHosts(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> hosts = Files.list(root)) {
            for (Path pidFile : hosts.map(h -> h.resolve("agent.pid")).toList()) {
                if (Files.exists(pidFile)) {
                    ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()))
                            .ifPresent(p -> {
                                p.descendants().forEach(ProcessHandle::destroyForcibly);
                                p.destroyForcibly();
                            });
                }
            }
        }
    }
}
