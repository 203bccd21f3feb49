package dev.spinup.bench;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.pki.CertificateAuthority;
import dev.spinup.controlplane.postgres.Database;
import dev.spinup.controlplane.postgres.DatabaseConfig;
import dev.spinup.dev.EmbeddedS3;
import dev.spinup.testing.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Agent fan-in: simulated agents (their own JVM, {@link SimulatedFleet}) ramped to N sessions on
 * one replica, each a real mTLS connection with both streams open and heartbeating; the replica's
 * heap after a full GC and its event ingest rate, next to a bare grpc-java server speaking the same
 * protocol ({@link RawAgentServer}) measured with the same fleet in the same run; then the replica
 * is SIGKILLed and the time until every agent is reconciled on the second replica is measured.
 */
@Command(
        name = "fan-in",
        mixinStandardHelpOptions = true,
        description =
                "Agent sessions on one replica: heap, event ingest and failover, next to a bare grpc-java server.")
final class FanInBench implements Callable<Integer> {
    @Option(names = "--quick", description = "200 agents, short ingest (CI).")
    boolean quick;

    @Option(names = "--agents", description = "Simulated agents (default: 10000; 200 with --quick).")
    Integer agentsOption;

    @Option(
            names = "--ramp-rate",
            defaultValue = "500",
            description = "New sessions per second while ramping (default: ${DEFAULT-VALUE}).")
    int rampRate;

    @Option(
            names = "--ingest-seconds",
            description = "Length of each ingest measurement (default: 10; 3 with --quick).")
    Integer ingestSecondsOption;

    @Option(
            names = "--window",
            defaultValue = "4",
            description = "Events in flight per agent while measuring ingest (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(
            names = "--heartbeat-seconds",
            defaultValue = "10",
            description = "Heartbeat interval of each agent (default: ${DEFAULT-VALUE}).")
    int heartbeatSeconds;

    @Option(
            names = "--jfr",
            description = "Record the replicas with Java Flight Recorder into this folder (profiling).")
    Path jfr;

    @Mixin
    BenchPostgres pg;

    @Option(
            names = "--results",
            defaultValue = "bench/results",
            description = "Where to write fan-in.json (default: ${DEFAULT-VALUE}).")
    Path results;

    private static final Duration RECONCILE_TARGET = Duration.ofSeconds(60);

    /** What one server (SpinUp's replica or the bare grpc-java one) showed under the fleet. */
    record Side(
            double connectSeconds,
            long idleHeapBytes,
            long heapBytes,
            double eventsPerSecond,
            double cpuMicrosPerEvent) {
        String json() {
            return String.format(
                    Locale.ROOT,
                    "{\"all_sessions_open_seconds\": %.1f, \"idle_heap_mib\": %.1f, "
                            + "\"heap_after_gc_mib\": %.1f, \"events_per_second\": %.0f, \"server_cpu_us_per_event\": %.1f}",
                    connectSeconds,
                    mib(idleHeapBytes),
                    mib(heapBytes),
                    eventsPerSecond,
                    cpuMicrosPerEvent);
        }
    }

    @Override
    public Integer call() throws Exception {
        int agents = agentsOption != null ? agentsOption : quick ? 200 : 10_000;
        int ingestSeconds = ingestSecondsOption != null ? ingestSecondsOption : quick ? 3 : 10;
        Path dir = ScratchDir.create("fan-in");
        Clock clock = Clock.systemUTC();
        Path pki = dir.resolve("pki");
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(pki, "bench CA", clock);
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"))
                .writeTo(pki.resolve("server.crt"), pki.resolve("server.key"));
        List<UUID> hosts =
                IntStream.range(0, agents).mapToObj(i -> Ids.newId(clock)).toList();
        Path identities = writeIdentities(ca, hosts, pki, dir.resolve("fleet"));

        Side raw;
        try (ChildJvm server = ChildJvm.start(
                dir.resolve("logs/raw-server.log"),
                List.of("-Xmx2g"),
                Map.of(),
                RawAgentServer.class.getName(),
                List.of(pki.toString(), Integer.toString(Ports.free())))) {
            int port = Integer.parseInt(server.await("@listening", Duration.ofMinutes(1))[0]);
            long idle = server.heapAfterGc();
            try (ChildJvm fleet = startFleet(dir, identities, List.of(port))) {
                raw = measure(server, idle, fleet, agents, ingestSeconds);
            }
        }

        Side spinup;
        long reconciledMillis;
        long sessionsOnSecond;
        String dbName = "spinup_bench_fanin_" + ProcessHandle.current().pid();
        try (BenchPostgres.Scratch scratch = pg.create(dbName);
                EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), 0, "bench", "bench-secret", "bench")) {
            registerHosts(scratch.url(), hosts);
            // The second replica starts only after the ramp, so every session lands on the first
            // (an agent whose session fails moves on to the next address, and finds nothing there).
            int secondPort = Ports.free();
            try (Replica first = startReplica(dir, "replica-a", Ports.free(), scratch.url(), s3, pki)) {
                long idle = first.jvm.heapAfterGc();
                try (ChildJvm fleet = startFleet(dir, identities, List.of(first.grpcPort, secondPort))) {
                    spinup = measure(first.jvm, idle, fleet, agents, ingestSeconds);
                    long onFirst = first.gauge("spinup_agent_sessions");
                    if (onFirst != agents) {
                        throw new IllegalStateException("replica A reports " + onFirst + " sessions, not " + agents);
                    }
                    try (Replica second = startReplica(dir, "replica-b", secondPort, scratch.url(), s3, pki)) {
                        fleet.send("await-reconciled " + Math.max(120, RECONCILE_TARGET.toSeconds() * 3));
                        fleet.await("@watching", Duration.ofSeconds(30));
                        if (jfr != null) { // a SIGKILLed JVM writes no recording of its own
                            first.jvm.jcmd(
                                    "JFR.dump",
                                    "filename=" + jfr.toAbsolutePath().resolve("replica-a.jfr"));
                        }
                        first.jvm.kill();
                        String[] reconciled = fleet.await("@reconciled", Duration.ofMinutes(7));
                        if (Long.parseLong(reconciled[0]) != agents) {
                            throw new IllegalStateException("only " + reconciled[0] + " of " + agents
                                    + " agents came back after their replica was killed (" + reconciled[2] + ")");
                        }
                        reconciledMillis = Long.parseLong(reconciled[1]);
                        System.out.println("reconciled after " + reconciledMillis + " ms (" + reconciled[2] + ")");
                        sessionsOnSecond = second.gauge("spinup_agent_sessions");
                    }
                }
            }
        }

        double heapRatio = (double) spinup.heapBytes / raw.heapBytes;
        double ingestRatio = spinup.eventsPerSecond / raw.eventsPerSecond;
        System.out.println();
        System.out.println(
                "Agent fan-in (simulated agents in their own JVM, real mTLS connections, both streams, heartbeats every "
                        + heartbeatSeconds + " s)");
        System.out.println("machine: " + Stats.machine() + (quick ? "  (quick mode)" : ""));
        System.out.printf(
                Locale.ROOT,
                "%-24s %16s %14s %14s %12s %18s%n",
                agents + " sessions",
                "all open after",
                "heap idle",
                "heap after GC",
                "events/s",
                "server CPU/event");
        for (var row : List.of(Map.entry("bare grpc-java server", raw), Map.entry("SpinUp replica", spinup))) {
            Side side = row.getValue();
            System.out.printf(
                    Locale.ROOT,
                    "%-24s %14.1f s %10.1f MiB %10.1f MiB %12.0f %15.1f µs%n",
                    row.getKey(),
                    side.connectSeconds,
                    mib(side.idleHeapBytes),
                    mib(side.heapBytes),
                    side.eventsPerSecond,
                    side.cpuMicrosPerEvent);
        }
        System.out.printf(
                Locale.ROOT,
                "ratio SpinUp : bare  heap %.2f  ingest %.2f  server CPU per event %.2f%n",
                heapRatio,
                ingestRatio,
                spinup.cpuMicrosPerEvent / raw.cpuMicrosPerEvent);
        System.out.printf(
                Locale.ROOT,
                "replica SIGKILLed: all %d agents reconciled on the other replica in %.1f s (it holds %d sessions)%n",
                agents,
                reconciledMillis / 1000.0,
                sessionsOnSecond);
        Files.createDirectories(results);
        Path out = results.resolve("fan-in.json");
        Files.writeString(
                out,
                String.format(
                        Locale.ROOT,
                        """
                {
                  "scenario": "fan-in",
                  "machine": "%s",
                  "quick": %s,
                  "agents": %d,
                  "heartbeat_seconds": %d,
                  "events_in_flight_per_agent": %d,
                  "bare_grpc_java": %s,
                  "spinup": %s,
                  "ratio_heap": %.3f,
                  "ratio_ingest": %.3f,
                  "ratio_server_cpu_per_event": %.3f,
                  "reconciled_after_replica_kill_seconds": %.3f,
                  "sessions_on_other_replica": %d
                }
                """,
                        Stats.machine(),
                        quick,
                        agents,
                        heartbeatSeconds,
                        window,
                        raw.json(),
                        spinup.json(),
                        heapRatio,
                        ingestRatio,
                        spinup.cpuMicrosPerEvent / raw.cpuMicrosPerEvent,
                        reconciledMillis / 1000.0,
                        sessionsOnSecond));
        System.out.println("written to " + out);
        return 0;
    }

    /** Ramps the fleet onto {@code server}, takes its heap after GC, then measures event ingest. */
    private Side measure(ChildJvm server, long idleHeap, ChildJvm fleet, int agents, int ingestSeconds)
            throws Exception {
        fleet.send("connect " + rampRate);
        String[] connected = fleet.await("@connected", Duration.ofMinutes(10));
        if (Long.parseLong(connected[0]) != agents) {
            throw new IllegalStateException("only " + connected[0] + " of " + agents + " sessions opened");
        }
        long heap = server.heapAfterGc();
        fleet.send("ingest " + ingestSeconds + " " + window);
        fleet.await("@measuring", Duration.ofMinutes(2));
        Duration cpuBefore = server.cpuTime();
        String[] ingested = fleet.await("@ingested", Duration.ofSeconds(ingestSeconds + 120L));
        double cpuSeconds = (server.cpuTime().toNanos() - cpuBefore.toNanos()) / 1e9;
        long events = Long.parseLong(ingested[0]);
        System.out.println("sessions open after " + connected[1] + " ms (" + connected[2] + ")");
        return new Side(
                Long.parseLong(connected[1]) / 1000.0,
                idleHeap,
                heap,
                events / Double.parseDouble(ingested[1]),
                cpuSeconds * 1e6 / events);
    }

    private ChildJvm startFleet(Path dir, Path identities, List<Integer> ports) throws Exception {
        ChildJvm fleet = ChildJvm.start(
                dir.resolve("logs/fleet-" + ports.getFirst() + ".log"),
                List.of("-Xmx8g"),
                Map.of(),
                SimulatedFleet.class.getName(),
                List.of(
                        identities.toString(),
                        Integer.toString(heartbeatSeconds),
                        String.join(",", ports.stream().map(String::valueOf).toList())));
        fleet.await("@ready", Duration.ofMinutes(5));
        return fleet;
    }

    /** One host certificate per simulated agent, issued here so the fleet's JVM needs no CA key. */
    private static Path writeIdentities(CertificateAuthority ca, List<UUID> hosts, Path pki, Path fleetDir)
            throws IOException {
        Base64.Encoder b64 = Base64.getEncoder();
        List<String> lines = hosts.parallelStream()
                .map(id -> {
                    CertificateAuthority.Issued issued = ca.issueHost(id);
                    return id + "\t"
                            + b64.encodeToString(issued.certificatePem().getBytes(StandardCharsets.UTF_8)) + "\t"
                            + b64.encodeToString(issued.privateKeyPem().getBytes(StandardCharsets.UTF_8));
                })
                .toList();
        Files.createDirectories(fleetDir);
        Files.copy(pki.resolve("ca.crt"), fleetDir.resolve("ca.crt"));
        Path file = fleetDir.resolve("identities.tsv");
        Files.write(file, lines);
        return file;
    }

    private void registerHosts(String url, List<UUID> hosts) {
        Database db = new Database(new DatabaseConfig(url, pg.user, null, 2));
        try {
            db.migrate();
            db.inTransactionVoid(tx -> {
                tx.fleet().ensureRegion("bench", "Bench");
                for (UUID id : hosts) {
                    tx.fleet().registerHost(id, "bench", "bench-" + id, new Envelope(64, 256, 4000));
                }
            });
        } finally {
            db.close();
        }
    }

    /** A control-plane replica ({@code serve}) in a JVM of its own. */
    private record Replica(ChildJvm jvm, int grpcPort, int metricsPort) implements AutoCloseable {
        long gauge(String name) throws IOException, InterruptedException {
            String body = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            return body.lines()
                    .filter(l -> l.startsWith(name + " "))
                    .findFirst()
                    .map(l -> (long)
                            Double.parseDouble(l.substring(name.length() + 1).trim()))
                    .orElseThrow(() -> new IllegalStateException(name + " is not in /metrics"));
        }

        @Override
        public void close() throws InterruptedException {
            jvm.close();
        }
    }

    private Replica startReplica(Path dir, String name, int grpcPort, String url, EmbeddedS3 s3, Path pki)
            throws Exception {
        int metricsPort = Ports.free();
        String databaseUrl = url + (url.contains("?") ? "&" : "?") + "user=" + pg.user;
        List<String> options = new ArrayList<>(List.of("-Xmx2g"));
        if (jfr != null) {
            Files.createDirectories(jfr);
            options.add("-XX:StartFlightRecording=settings=profile,filename=" + jfr.resolve(name + ".jfr")
                    + (Runtime.version().feature() >= 25
                            ? ",jdk.CPUTimeSample#enabled=true,jdk.CPUTimeSample#throttle=2ms"
                            : ""));
        }
        ChildJvm jvm = ChildJvm.start(
                dir.resolve("logs/" + name + ".log"),
                options,
                Map.of("SPINUP_S3_ACCESS_KEY", "bench", "SPINUP_S3_SECRET_KEY", "bench-secret"),
                "dev.spinup.controlplane.Main",
                List.of(
                        "serve",
                        "--database-url",
                        databaseUrl,
                        "--tls-cert",
                        pki.resolve("server.crt").toString(),
                        "--tls-key",
                        pki.resolve("server.key").toString(),
                        "--ca-cert",
                        pki.resolve("ca.crt").toString(),
                        "--s3-bucket",
                        "bench",
                        "--s3-endpoint",
                        s3.endpoint().toString(),
                        "--bind",
                        "127.0.0.1",
                        "--grpc-port",
                        Integer.toString(grpcPort),
                        "--metrics-port",
                        Integer.toString(metricsPort)));
        Replica replica = new Replica(jvm, grpcPort, metricsPort);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            try {
                replica.gauge("spinup_agent_sessions");
                new java.net.Socket("127.0.0.1", grpcPort).close();
                return replica;
            } catch (IOException | IllegalStateException e) {
                if (!jvm.isAlive() || System.nanoTime() > deadline) {
                    jvm.close();
                    throw new IllegalStateException("replica " + name + " did not start" + jvm.lastLines(), e);
                }
                LockSupport.parkNanos(Duration.ofMillis(100).toNanos()); // polling with a deadline
            }
        }
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
