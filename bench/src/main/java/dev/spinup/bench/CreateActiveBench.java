package dev.spinup.bench;

import dev.spinup.agent.GuestFiles;
import dev.spinup.agent.drivers.DriverException;
import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.agent.drivers.ProcessVmDriver;
import dev.spinup.agent.drivers.VmDriver;
import dev.spinup.agent.drivers.WorkspaceSpec;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * CreateWorkspace → ACTIVE with the process driver (the starter app, a real Node.js process), one
 * create at a time, and the control plane's own share of it: the whole time minus what the driver
 * itself spent in provision and start (timed inside the agent, around the driver's calls).
 */
@Command(
        name = "create-active",
        mixinStandardHelpOptions = true,
        description = "Create -> active with the process driver, and the control plane's share of it.")
final class CreateActiveBench implements Callable<Integer> {
    @Option(names = "--quick", description = "20 creates instead of 200 (CI).")
    boolean quick;

    @Mixin
    BenchPostgres pg;

    @Option(
            names = "--results",
            defaultValue = "bench/results",
            description = "Where to write create-active.json (default: ${DEFAULT-VALUE}).")
    Path results;

    @Override
    public Integer call() throws Exception {
        int n = quick ? 20 : 200;
        Path dir = ScratchDir.create("create");
        List<Long> total = new ArrayList<>();
        List<Long> controlPlane = new ArrayList<>();
        List<String> steps;
        AtomicLong driverNanos = new AtomicLong();
        try (BenchPostgres.Scratch scratch = pg.create(
                        "spinup_bench_create_" + ProcessHandle.current().pid());
                BenchCluster cluster = new BenchCluster(
                        dir.resolve("cluster"),
                        scratch.url(),
                        pg.user,
                        1,
                        hostDir -> new Timed(
                                new ProcessVmDriver(
                                        hostDir.resolve("workspaces"),
                                        GuestFiles.extract(hostDir.resolve("guest")),
                                        "127.0.0.1",
                                        32000,
                                        32199,
                                        Duration.ofSeconds(30)),
                                driverNanos))) {
            cluster.createToActiveThenDelete(Duration.ofSeconds(60)); // warm-up: JIT, connections, first node start
            for (int i = 0; i < n; i++) {
                driverNanos.set(0);
                long took = cluster.createToActiveThenDelete(Duration.ofSeconds(60));
                total.add(took);
                controlPlane.add(took - driverNanos.get());
            }
            steps = stepBreakdown(cluster);
        }
        Stats all = Stats.ofNanos(total);
        Stats own = Stats.ofNanos(controlPlane);
        System.out.println();
        System.out.println("CreateWorkspace -> SUCCEEDED, process driver (starter app), one at a time, 1 host");
        System.out.println("machine: " + Stats.machine() + (quick ? "  (quick mode)" : ""));
        System.out.printf(
                Locale.ROOT,
                "create -> active:          p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  (n=%d)%n",
                all.p50(),
                all.p99(),
                all.max(),
                all.n());
        System.out.printf(
                Locale.ROOT,
                "control plane's own share: p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms%n",
                own.p50(),
                own.p99(),
                own.max());
        System.out.println("where each step's time goes (medians, ms): before = since the previous step's result "
                + "(or the request), send = outbox -> stream, ack = stream -> agent's ack, run = ack -> result");
        steps.forEach(System.out::println);
        Files.createDirectories(results);
        Path out = results.resolve("create-active.json");
        Files.writeString(out, String.format(Locale.ROOT, """
                {
                  "scenario": "create-active",
                  "machine": "%s",
                  "quick": %s,
                  "create_to_active": %s,
                  "control_plane_share": %s
                }
                """, Stats.machine(), quick, all.json(), own.json()));
        System.out.println("written to " + out);
        return 0;
    }

    /** Median of each phase of each agent command of the creates, from the outbox's timestamps. */
    private static List<String> stepBreakdown(BenchCluster cluster) {
        return cluster.db.withHandle(h -> h.createQuery("""
                        WITH c AS (
                            SELECT a.kind, a.created_at, a.sent_at, a.acked_at, a.completed_at, o.requested_at,
                                   coalesce(lag(a.completed_at) OVER (PARTITION BY a.operation_id ORDER BY a.created_at),
                                            o.requested_at) AS previous
                            FROM agent_commands a JOIN operations o ON o.id = a.operation_id WHERE o.verb = 'create')
                        SELECT kind,
                               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM created_at - previous)) * 1000 AS before,
                               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) * 1000 AS send,
                               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acked_at - sent_at)) * 1000 AS ack,
                               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - acked_at)) * 1000 AS run
                        FROM c GROUP BY kind ORDER BY avg(extract(epoch FROM created_at - requested_at))""")
                .map((rs, ctx) -> String.format(
                        Locale.ROOT,
                        "  %-22s before %6.1f  send %6.1f  ack %6.1f  run %6.1f",
                        rs.getString("kind"),
                        rs.getDouble("before"),
                        rs.getDouble("send"),
                        rs.getDouble("ack"),
                        rs.getDouble("run")))
                .list());
    }

    /** A driver that adds the time spent in provision and start to {@code nanos}. */
    private record Timed(VmDriver driver, AtomicLong nanos) implements VmDriver {
        @Override
        public String name() {
            return driver.name();
        }

        @Override
        public void provision(WorkspaceSpec spec) throws DriverException {
            long started = System.nanoTime();
            try {
                driver.provision(spec);
            } finally {
                nanos.addAndGet(System.nanoTime() - started);
            }
        }

        @Override
        public String start(String workspaceId) throws DriverException {
            long started = System.nanoTime();
            try {
                return driver.start(workspaceId);
            } finally {
                nanos.addAndGet(System.nanoTime() - started);
            }
        }

        @Override
        public void stop(String workspaceId, int graceSeconds) throws DriverException {
            driver.stop(workspaceId, graceSeconds);
        }

        @Override
        public void resize(String workspaceId, int vcpu, int ramGb, int diskGb) throws DriverException {
            driver.resize(workspaceId, vcpu, ramGb, diskGb);
        }

        @Override
        public String exportDisk(String workspaceId, String snapshotId, String baseSnapshotId, OutputStream out)
                throws DriverException {
            return driver.exportDisk(workspaceId, snapshotId, baseSnapshotId, out);
        }

        @Override
        public void importDisk(WorkspaceSpec spec, InputStream archive) throws DriverException {
            driver.importDisk(spec, archive);
        }

        @Override
        public void importDisk(WorkspaceSpec spec, InputStream full, InputStream differential) throws DriverException {
            driver.importDisk(spec, full, differential);
        }

        @Override
        public String snapshotTool() {
            return driver.snapshotTool();
        }

        @Override
        public void destroy(String workspaceId) throws DriverException {
            driver.destroy(workspaceId);
        }

        @Override
        public List<LocalWorkspace> inventory() {
            return driver.inventory();
        }

        @Override
        public Optional<LocalWorkspace> find(String workspaceId) {
            return driver.find(workspaceId);
        }

        @Override
        public void onUnexpectedExit(Consumer<UnexpectedExit> listener) {
            driver.onUnexpectedExit(listener);
        }

        @Override
        public void close() {
            driver.close();
        }
    }
}
