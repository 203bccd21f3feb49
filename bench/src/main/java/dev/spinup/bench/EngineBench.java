package dev.spinup.bench;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.Flavor;
import dev.spinup.controlplane.postgres.Database;
import dev.spinup.controlplane.postgres.DatabaseConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The operations engine against the machine's Postgres: a real control plane (gRPC over TLS,
 * db-scheduler) with simulated hosts — real agents over loopback mTLS with a no-op driver, in a JVM
 * of their own ({@link AgentHosts}), so the control plane's JVM runs the control plane alone.
 * <ol>
 * <li>pickup: CreateWorkspace accepted → its first step started, p50/p99/max, at a paced rate;
 * <li>throughput: full no-op CREATEs to SUCCEEDED per second (three agent steps each), next to
 *     raw db-scheduler no-op executions per second on another database of the same server.
 * </ol>
 */
@Command(
        name = "engine",
        mixinStandardHelpOptions = true,
        description = "Pickup latency and engine throughput against raw db-scheduler, same Postgres, same run.")
final class EngineBench implements Callable<Integer> {
    @Option(names = "--quick", description = "Fewer operations (CI).")
    boolean quick;

    @Mixin
    BenchPostgres pg;

    @Option(
            names = "--pickup-rate",
            defaultValue = "10",
            description =
                    "Creates per second in the pickup scenarios, paced below what the engine sustains so they measure latency, not queueing (default: ${DEFAULT-VALUE}).")
    int pickupRate;

    @Option(names = "--pickup-ops", description = "Creates in each pickup scenario (default: 5000; 150 with --quick).")
    Integer pickupOpsOption;

    @Option(
            names = "--results",
            defaultValue = "bench/results",
            description = "Where to write engine.json (default: ${DEFAULT-VALUE}).")
    Path results;

    /** A control plane (or two, {@code jobsElsewhere}) with {@code hosts} no-op agents in a JVM of their own. */
    private BenchCluster cluster(Path dir, String url, int hosts, boolean jobsElsewhere) throws Exception {
        BenchCluster cluster = new BenchCluster(dir, url, pg.user, 0, null, jobsElsewhere);
        try {
            cluster.addNoopHostsInTheirOwnJvm(hosts);
            return cluster;
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
    }

    @Override
    public Integer call() throws Exception {
        int pickupOps = pickupOpsOption != null ? pickupOpsOption : quick ? 150 : 5000;
        int throughputOps = quick ? 300 : 1500;
        String base = "spinup_bench_" + ProcessHandle.current().pid();
        Path dir = ScratchDir.create("engine");
        double rawPerSecond = withDatabase(base + "_raw", url -> rawDbScheduler(url, throughputOps));
        // Each scenario gets its own database and hosts, so one's leftovers do not slow the other.
        Stats pickup = withDatabase(base + "_pickup", url -> {
            try (BenchCluster cluster = cluster(dir.resolve("pickup"), url, 4, false)) {
                return pickup(cluster, pickupOps, pickupRate);
            }
        });
        Stats crossReplica = withDatabase(base + "_cross", url -> {
            try (BenchCluster cluster = cluster(dir.resolve("cross"), url, 4, true)) {
                return pickup(cluster, pickupOps, pickupRate);
            }
        });
        Throughput throughput = withDatabase(base + "_throughput", url -> {
            try (BenchCluster cluster = cluster(dir.resolve("throughput"), url, 16, false)) {
                return throughput(cluster, throughputOps);
            }
        });
        double createsPerSecond = throughput.perSecond();
        double stepsPerSecond = createsPerSecond * 3;
        System.out.println();
        System.out.println(
                "Operations engine (no-op driver, real agents over mTLS in their own JVM, Postgres on this machine)");
        System.out.println("machine: " + Stats.machine() + (quick ? "  (quick mode)" : ""));
        System.out.printf(
                Locale.ROOT,
                "pickup (accepted -> first step), %d creates at %d/s on 4 hosts:  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms%n",
                pickupOps,
                pickupRate,
                pickup.p50(),
                pickup.p90(),
                pickup.p99(),
                pickup.max());
        System.out.printf(
                Locale.ROOT,
                "pickup, job on another replica than the API call (woken by NOTIFY):  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms%n",
                crossReplica.p50(),
                crossReplica.p90(),
                crossReplica.p99(),
                crossReplica.max());
        System.out.printf(
                Locale.ROOT,
                "throughput, %d creates on 16 hosts from 16 callers:  %.0f creates/s = %.0f agent steps/s%n",
                throughputOps,
                createsPerSecond,
                stepsPerSecond);
        System.out.printf(
                Locale.ROOT,
                "CPU per create: control plane's JVM %.1f ms, agents' JVM %.1f ms%n",
                throughput.controlPlaneCpuMs(),
                throughput.agentsCpuMs());
        System.out.printf(Locale.ROOT, "raw db-scheduler no-op executions, same server:  %.0f /s%n", rawPerSecond);
        System.out.printf(Locale.ROOT, "ratio (steps/s : raw executions/s):  %.2f%n", stepsPerSecond / rawPerSecond);
        Files.createDirectories(results);
        Path out = results.resolve("engine.json");
        Files.writeString(
                out,
                String.format(
                        Locale.ROOT,
                        """
                {
                  "scenario": "engine",
                  "machine": "%s",
                  "quick": %s,
                  "pickup_rate_per_second": %d,
                  "pickup": %s,
                  "pickup_job_on_another_replica": %s,
                  "creates_per_second": %.1f,
                  "agent_steps_per_second": %.1f,
                  "cpu_ms_per_create_control_plane_jvm": %.2f,
                  "cpu_ms_per_create_agents_jvm": %.2f,
                  "raw_db_scheduler_executions_per_second": %.1f,
                  "ratio": %.3f
                }
                """,
                        Stats.machine(),
                        quick,
                        pickupRate,
                        pickup.json(),
                        crossReplica.json(),
                        createsPerSecond,
                        stepsPerSecond,
                        throughput.controlPlaneCpuMs(),
                        throughput.agentsCpuMs(),
                        rawPerSecond,
                        stepsPerSecond / rawPerSecond));
        System.out.println("written to " + out);
        return 0;
    }

    @FunctionalInterface
    private interface OnDatabase<T> {
        T run(String url) throws Exception;
    }

    /** Runs {@code work} on a database of its own, dropped afterwards. */
    private <T> T withDatabase(String name, OnDatabase<T> work) throws Exception {
        try (BenchPostgres.Scratch scratch = pg.create(name)) {
            return work.run(scratch.url());
        }
    }

    /**
     * Creates at a steady {@code rate} (a tick per create, sent by a pool of callers so a slow call
     * never delays the next tick); pickup read from the operations afterwards.
     */
    private static Stats pickup(BenchCluster cluster, int n, int rate) throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(8);
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            LockSupport.parkNanos(start + i * interval - System.nanoTime()); // pacing, not synchronisation
            callers.execute(() -> createOne(cluster));
        }
        callers.shutdown();
        callers.awaitTermination(10, TimeUnit.MINUTES);
        await(() -> cluster.count("started_at IS NOT NULL") >= n, "every create to start");
        List<Long> nanos = cluster
                .db
                .withHandle(h -> h.createQuery("""
                        SELECT EXTRACT(EPOCH FROM (started_at - requested_at)) * 1e9 FROM operations
                        WHERE verb = 'create' AND started_at IS NOT NULL""").mapTo(Double.class).list())
                .stream()
                .map(Double::longValue)
                .toList();
        return Stats.ofNanos(nanos);
    }

    private static void createOne(BenchCluster cluster) {
        cluster.api
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .createWorkspace(CreateWorkspaceRequest.newBuilder()
                        .setRequestId(UUID.randomUUID().toString())
                        .setExternalWorkspaceId("bench-" + UUID.randomUUID())
                        .setExternalUserId("bench")
                        .setDisplayName("bench")
                        .setRegion("bench")
                        .setFlavor(Flavor.FLAVOR_HOBBY)
                        .build())
                .getOperation();
    }

    /** Creates per second, and the CPU each create cost the control plane's JVM and the agents' JVM (ms). */
    private record Throughput(double perSecond, double controlPlaneCpuMs, double agentsCpuMs) {}

    private static Throughput throughput(BenchCluster cluster, int n) throws Exception {
        Duration cpuBefore = ownCpu();
        Duration agentsBefore = cluster.agentsCpuTime();
        long started = System.nanoTime();
        submit(cluster, n, 16);
        await(() -> cluster.count("status = 'succeeded'") >= n, "every create to succeed");
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Throughput(
                n / seconds,
                ownCpu().minus(cpuBefore).toNanos() / 1e6 / n,
                cluster.agentsCpuTime().minus(agentsBefore).toNanos() / 1e6 / n);
    }

    /** CPU this JVM has used (the control plane, and the benchmark's 16 API callers). */
    private static Duration ownCpu() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow();
    }

    /** Submits {@code n} creates from {@code callers} threads. */
    private static void submit(BenchCluster cluster, int n, int callers) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        CountDownLatch done = new CountDownLatch(callers);
        for (int c = 0; c < callers; c++) {
            pool.execute(() -> {
                try {
                    while (next.getAndIncrement() < n) {
                        createOne(cluster);
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        pool.shutdown();
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) {
        Instant deadline = Instant.now().plusSeconds(600);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("timed out after 10 minutes waiting for " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }

    /** No-op one-time tasks on db-scheduler alone (10 threads, lock-and-fetch), same server. */
    private double rawDbScheduler(String url, int n) throws Exception {
        Database db = new Database(new DatabaseConfig(url, pg.user, null, 12));
        try {
            db.migrate(); // creates scheduled_tasks
            AtomicInteger executed = new AtomicInteger();
            OneTimeTask<Void> task = Tasks.oneTime("bench-noop").execute((instance, ctx) -> executed.incrementAndGet());
            Scheduler scheduler = Scheduler.create(db.pool(), task)
                    .threads(10)
                    .pollUsingLockAndFetch(0.5, 1.0)
                    .pollingInterval(Duration.ofMillis(50))
                    .build();
            for (int i = 0; i < n; i++) {
                scheduler.schedule(task.instance("noop-" + i), Instant.now());
            }
            long started = System.nanoTime();
            scheduler.start();
            while (executed.get() < n) {
                LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
            }
            double perSecond = n / ((System.nanoTime() - started) / 1e9);
            scheduler.stop();
            return perSecond;
        } finally {
            db.close();
        }
    }
}
