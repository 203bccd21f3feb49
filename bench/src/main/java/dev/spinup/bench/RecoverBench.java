package dev.spinup.bench;

import dev.spinup.agent.GuestFiles;
import dev.spinup.agent.HostAgent;
import dev.spinup.agent.drivers.ProcessVmDriver;
import dev.spinup.agent.drivers.VmDriver;
import dev.spinup.api.v1.DeclareHostLostRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.ProjectTemplate;
import dev.spinup.api.v1.SnapshotWorkspaceRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A host declared lost with N active workspaces on it (process driver, each with a verified
 * snapshot) → all N active on the other host: the whole time and each RECOVER's own. Baseline, in
 * the same run: the same N workspaces created at once on the first host (each create → active).
 */
@Command(
        name = "recover",
        mixinStandardHelpOptions = true,
        description = "Host declared lost -> all its workspaces active elsewhere, next to creating them.")
final class RecoverBench implements Callable<Integer> {
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    @Option(names = "--quick", description = "5 workspaces instead of 50 (CI).")
    boolean quick;

    @Option(names = "--workspaces", description = "How many workspaces the lost host holds (default: 50).")
    Integer workspaces;

    @Mixin
    BenchPostgres pg;

    @Option(
            names = "--results",
            defaultValue = "bench/results",
            description = "Where to write recover.json (default: ${DEFAULT-VALUE}).")
    Path results;

    @Override
    public Integer call() throws Exception {
        int n = workspaces != null ? workspaces : quick ? 5 : 50;
        Path dir = ScratchDir.create("recover");
        long createAll;
        long recoverAll;
        List<Long> creates;
        List<Long> recoveries;
        try (BenchPostgres.Scratch scratch = pg.create(
                        "spinup_bench_recover_" + ProcessHandle.current().pid());
                BenchCluster cluster =
                        new BenchCluster(dir.resolve("cluster"), scratch.url(), pg.user, 1, drivers(32000))) {
            // N creates at once on host A (the baseline), then a snapshot of each
            long started = System.nanoTime();
            List<Operation> created = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                created.add(cluster.create(ProjectTemplate.PROJECT_TEMPLATE_STARTER));
            }
            awaitAll(cluster, "create", n);
            createAll = System.nanoTime() - started;
            creates = durations(cluster, "create");
            for (Operation c : created) {
                cluster.api.snapshotWorkspace(SnapshotWorkspaceRequest.newBuilder()
                        .setRequestId(UUID.randomUUID().toString())
                        .setWorkspaceId(c.getWorkspaceId())
                        .build());
            }
            awaitAll(cluster, "snapshot", n);

            // host B joins; A's agent goes (its machine powered off), and an operator declares A lost
            HostAgent a = cluster.agents.getFirst();
            String hostA = cluster.db.withHandle(h -> h.createQuery("SELECT id::text FROM hosts ORDER BY id LIMIT 1")
                    .mapTo(String.class)
                    .one());
            cluster.addHost(drivers(32400));
            cluster.awaitConnected();
            a.close();
            killProcessesUnder(dir.resolve("cluster/host-0"));
            started = System.nanoTime();
            cluster.api.declareHostLost(DeclareHostLostRequest.newBuilder()
                    .setHostId(hostA)
                    .setReason("bench: host A powered off")
                    .build());
            awaitAll(cluster, "recover", n);
            recoverAll = System.nanoTime() - started;
            recoveries = durations(cluster, "recover");
            long elsewhere = cluster.db.withHandle(
                    h -> h.createQuery("SELECT count(*) FROM workspaces WHERE state = 'active' AND host_id <> :a::uuid")
                            .bind("a", hostA)
                            .mapTo(Long.class)
                            .one());
            if (elsewhere != n) {
                throw new IllegalStateException(elsewhere + " of " + n + " workspaces are active on host B");
            }
        } finally {
            killProcessesUnder(dir); // the workspaces' apps outlive their agents, as on a real host
        }
        Stats each = Stats.ofNanos(recoveries);
        Stats baseline = Stats.ofNanos(creates);
        System.out.println();
        System.out.println("Host declared lost -> its " + n + " workspaces active on another host (process driver)");
        System.out.println("machine: " + Stats.machine() + (quick ? "  (quick mode)" : ""));
        System.out.printf(Locale.ROOT, "all %d recovered:        %8.1f ms%n", n, recoverAll / 1e6);
        System.out.printf(
                Locale.ROOT,
                "each RECOVER:            p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  (n=%d)%n",
                each.p50(),
                each.p99(),
                each.max(),
                each.n());
        System.out.printf(Locale.ROOT, "baseline, all %d created: %8.1f ms%n", n, createAll / 1e6);
        System.out.printf(
                Locale.ROOT,
                "baseline, each CREATE:   p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms%n",
                baseline.p50(),
                baseline.p99(),
                baseline.max());
        Files.createDirectories(results);
        Path out = results.resolve("recover.json");
        Files.writeString(
                out,
                String.format(
                        Locale.ROOT,
                        """
                {
                  "scenario": "recover",
                  "machine": "%s",
                  "quick": %s,
                  "workspaces": %d,
                  "all_recovered_ms": %.1f,
                  "each_recover": %s,
                  "all_created_ms": %.1f,
                  "each_create": %s
                }
                """,
                        Stats.machine(),
                        quick,
                        n,
                        recoverAll / 1e6,
                        each.json(),
                        createAll / 1e6,
                        baseline.json()));
        System.out.println("written to " + out);
        return 0;
    }

    /** The process driver (a Node.js app per workspace) on ports from {@code firstPort}, 400 of them. */
    private static Function<Path, VmDriver> drivers(int firstPort) {
        return hostDir -> new ProcessVmDriver(
                hostDir.resolve("workspaces"),
                GuestFiles.extract(hostDir.resolve("guest")),
                "127.0.0.1",
                firstPort,
                firstPort + 399,
                Duration.ofSeconds(60));
    }

    /** Kills the processes this JVM started that run in {@code dir} (the workspaces' apps, by their working directory). */
    private static void killProcessesUnder(Path dir) {
        ProcessHandle.current().descendants().filter(p -> runsIn(p, dir)).forEach(ProcessHandle::destroyForcibly);
    }

    private static boolean runsIn(ProcessHandle p, Path dir) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd"))
                    .startsWith(dir.toRealPath());
        } catch (java.io.IOException | UnsupportedOperationException gone) {
            return false; // it has ended, or this is not Linux (then the apps outlive the bench)
        }
    }

    /** Waits until {@code n} operations of {@code verb} have ended, all SUCCEEDED. */
    private static void awaitAll(BenchCluster cluster, String verb, int n) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            List<String> ended = cluster.db.withHandle(
                    h -> h.createQuery("SELECT status || coalesce(': ' || error_message, '') FROM operations"
                                    + " WHERE verb = :verb AND completed_at IS NOT NULL")
                            .bind("verb", verb)
                            .mapTo(String.class)
                            .list());
            ended.stream().filter(s -> !s.equals("succeeded")).findFirst().ifPresent(failed -> {
                throw new IllegalStateException("a " + verb + " ended " + failed);
            });
            if (ended.size() >= n) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(ended.size() + " of " + n + " " + verb + " operations ended in "
                        + TIMEOUT.toMinutes() + " min");
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // polling the database, bounded by the deadline
        }
    }

    /** Each operation of {@code verb}: from its request to its end. */
    private static List<Long> durations(BenchCluster cluster, String verb) {
        return cluster.db.withHandle(h -> h.createQuery("SELECT (extract(epoch FROM completed_at - requested_at)"
                        + " * 1e9)::bigint FROM operations WHERE verb = :verb")
                .bind("verb", verb)
                .mapTo(Long.class)
                .list());
    }
}
