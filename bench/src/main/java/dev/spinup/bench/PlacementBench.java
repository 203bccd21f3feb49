package dev.spinup.bench;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.postgres.Database;
import dev.spinup.controlplane.postgres.DatabaseConfig;
import dev.spinup.controlplane.transitions.Placement;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Handle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Placement at fleet scale on the machine's Postgres: hosts and workspaces bulk-loaded
 * server-side (INSERT … SELECT generate_series), 90% of hosts full, then SpinUp's placement
 * ({@link Placement}: covering index, one LATERAL aggregate per host, random start) next to the
 * design's reference query (seed 002: three correlated SUM subqueries, FOR UPDATE SKIP LOCKED,
 * LIMIT 1) on the same data in the same run. Each placement is a real transaction that inserts
 * the workspace it placed, as CreateWorkspace does; the rows a phase adds are removed before the
 * next. Ends with an oversubscription check over every host.
 */
@Command(
        name = "placement",
        mixinStandardHelpOptions = true,
        description = "Placement at 10,000 hosts / 1,000,000 workspaces, next to the design's reference query.")
final class PlacementBench implements Callable<Integer> {
    @Option(names = "--quick", description = "1,000 hosts / 100,000 workspaces, shorter phases (CI).")
    boolean quick;

    @Mixin
    BenchPostgres pg;

    @Option(
            names = "--results",
            defaultValue = "bench/results",
            description = "Where to write placement.json (default: ${DEFAULT-VALUE}).")
    Path results;

    private static final Envelope HOBBY = new Envelope(1, 1, 5);
    /** Seed 002's query, as written there (with LIMIT before the locking clause, as Postgres requires). */
    private static final String REFERENCE = """
            SELECT h.id FROM hosts h WHERE h.region_id = :region AND h.state = 'healthy'
              AND h.total_vcpu - COALESCE((SELECT SUM(w.vcpu) FROM workspaces w WHERE w.host_id = h.id
                  AND w.state IN ('active','suspended')), 0) >= :vcpu
              AND h.total_ram_gb - COALESCE((SELECT SUM(w.ram_gb) FROM workspaces w WHERE w.host_id = h.id
                  AND w.state IN ('active','suspended')), 0) >= :ram
              AND h.total_disk_gb - COALESCE((SELECT SUM(w.disk_gb) FROM workspaces w WHERE w.host_id = h.id
                  AND w.state IN ('active','suspended')), 0) >= :disk
            LIMIT 1 FOR UPDATE SKIP LOCKED""";

    @FunctionalInterface
    private interface Placer {
        Optional<UUID> place(Handle h);
    }

    @Override
    public Integer call() throws Exception {
        int hosts = quick ? 1_000 : 10_000;
        int workspaces = quick ? 100_000 : 1_000_000;
        int single = quick ? 200 : 1_000;
        Duration phase = Duration.ofSeconds(quick ? 3 : 10);
        try (BenchPostgres.Scratch scratch = pg.create(
                        "spinup_bench_placement_" + ProcessHandle.current().pid());
                Database db = new Database(new DatabaseConfig(scratch.url(), pg.user, null, 40))) {
            db.migrate();
            long seeding = System.nanoTime();
            seed(db, hosts, workspaces);
            double seedSeconds = (System.nanoTime() - seeding) / 1e9;
            Placement spinup = new Placement(Duration.ofDays(2), Clock.systemUTC(), new SimpleMeterRegistry());
            Placer ours = h -> spinup.place(db.on(h), "bench", HOBBY);
            Placer reference = h -> h.createQuery(REFERENCE)
                    .bind("region", "bench")
                    .bind("vcpu", HOBBY.vcpu())
                    .bind("ram", HOBBY.ramGb())
                    .bind("disk", HOBBY.diskGb())
                    .mapTo(UUID.class)
                    .findOne();

            Stats singleOurs = Stats.ofNanos(timed(db, ours, single));
            reset(db);
            Stats singleReference = Stats.ofNanos(timed(db, reference, Math.max(50, single / 10)));
            reset(db);
            double rateOurs = throughput(db, ours, 16, phase);
            reset(db);
            double rateReference = throughput(db, reference, 16, phase);
            reset(db);
            Stats concurrent = concurrentLatency(db, ours, 32, phase);
            long oversubscribed = oversubscribedHosts(db);

            System.out.println();
            System.out.printf(
                    Locale.ROOT,
                    "Placement, %,d hosts / %,d workspaces, 90%% of hosts full (seeded in %.1f s), Postgres on this machine%n",
                    hosts,
                    workspaces,
                    seedSeconds);
            System.out.println("machine: " + Stats.machine() + (quick ? "  (quick mode)" : ""));
            System.out.printf(
                    Locale.ROOT,
                    "single caller, SpinUp:     p50 %.2f ms  p90 %.2f ms  max %.2f ms  (n=%d)%n",
                    singleOurs.p50(),
                    singleOurs.p90(),
                    singleOurs.max(),
                    singleOurs.n());
            System.out.printf(
                    Locale.ROOT,
                    "single caller, reference:  p50 %.2f ms  p90 %.2f ms  max %.2f ms  (n=%d)%n",
                    singleReference.p50(),
                    singleReference.p90(),
                    singleReference.max(),
                    singleReference.n());
            System.out.printf(
                    Locale.ROOT,
                    "16 callers: SpinUp %.0f placements/s, reference %.0f/s, ratio %.2f%n",
                    rateOurs,
                    rateReference,
                    rateOurs / rateReference);
            System.out.printf(
                    Locale.ROOT,
                    "32 callers, SpinUp: p50 %.2f ms  p90 %.2f ms  max %.2f ms  (n=%d)%n",
                    concurrent.p50(),
                    concurrent.p90(),
                    concurrent.max(),
                    concurrent.n());
            System.out.println("hosts oversubscribed: " + oversubscribed);
            Files.createDirectories(results);
            Path out = results.resolve("placement.json");
            Files.writeString(
                    out,
                    String.format(
                            Locale.ROOT,
                            """
                    {
                      "scenario": "placement",
                      "machine": "%s",
                      "quick": %s,
                      "hosts": %d,
                      "workspaces": %d,
                      "single_caller": %s,
                      "single_caller_reference": %s,
                      "placements_per_second_16_callers": %.1f,
                      "reference_placements_per_second_16_callers": %.1f,
                      "ratio": %.3f,
                      "latency_32_callers": %s,
                      "oversubscribed_hosts": %d
                    }
                    """,
                            Stats.machine(),
                            quick,
                            hosts,
                            workspaces,
                            singleOurs.json(),
                            singleReference.json(),
                            rateOurs,
                            rateReference,
                            rateOurs / rateReference,
                            concurrent.json(),
                            oversubscribed));
            System.out.println("written to " + out);
            return oversubscribed == 0 ? 0 : 1;
        }
    }

    /**
     * {@code hosts} hosts with room for 100 HOBBY workspaces each (every tenth for 200) and
     * {@code workspaces} active HOBBY workspaces spread evenly: with 100 per host, 90% of hosts are full.
     */
    private static void seed(Database db, int hosts, int workspaces) {
        db.withHandle(h -> {
            h.execute("INSERT INTO regions (id, display_name) VALUES ('bench', 'Bench')");
            h.createUpdate("""
                    INSERT INTO hosts (id, region_id, fqdn, total_vcpu, total_ram_gb, total_disk_gb, state, last_heartbeat_at)
                    SELECT md5('host' || i)::uuid, 'bench', 'host-' || i || '.bench', 100 * f, 100 * f, 500 * f,
                           'healthy', now() + interval '1 day'
                    FROM generate_series(0, :hosts - 1) i, LATERAL (SELECT CASE WHEN i % 10 = 0 THEN 2 ELSE 1 END AS f) x""").bind("hosts", hosts).execute();
            h.createUpdate("""
                    INSERT INTO workspaces (id, external_workspace_id, external_user_id, display_name, region_id, host_id,
                                            flavor, vcpu, ram_gb, disk_gb, state, template)
                    SELECT md5('ws' || n)::uuid, 'seed-' || n, 'seed', 'seed', 'bench', md5('host' || (n % :hosts))::uuid,
                           'hobby', 1, 1, 5, 'active', 'starter'
                    FROM generate_series(0, :workspaces - 1) n""")
                    .bind("hosts", hosts)
                    .bind("workspaces", workspaces)
                    .execute();
            // as autovacuum would after a bulk load: statistics, and the visibility map index-only scans need
            h.execute("VACUUM (ANALYZE) hosts");
            h.execute("VACUUM (ANALYZE) workspaces");
            return null;
        });
    }

    /** One placement and the insert of the workspace it placed, in one transaction; returns the placement's time. */
    private static long placeOnce(Database db, Placer placer) {
        return db.withHandle(h -> h.inTransaction(tx -> {
            long started = System.nanoTime();
            UUID host = placer.place(tx).orElseThrow(() -> new IllegalStateException("no room found"));
            long took = System.nanoTime() - started;
            tx.createUpdate("""
                    INSERT INTO workspaces (id, external_workspace_id, external_user_id, display_name, region_id, host_id,
                                            flavor, vcpu, ram_gb, disk_gb, state, template)
                    VALUES (:id, 'placed-' || :id, 'bench', 'bench', 'bench', :host, 'hobby', :vcpu, :ram, :disk, 'active', 'starter')""")
                    .bind("id", UUID.randomUUID())
                    .bind("host", host)
                    .bind("vcpu", HOBBY.vcpu())
                    .bind("ram", HOBBY.ramGb())
                    .bind("disk", HOBBY.diskGb())
                    .execute();
            return took;
        }));
    }

    private static List<Long> timed(Database db, Placer placer, int n) {
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            nanos.add(placeOnce(db, placer));
        }
        return nanos;
    }

    private static double throughput(Database db, Placer placer, int callers, Duration phase) throws Exception {
        AtomicLong placed = new AtomicLong();
        runFor(callers, phase, () -> {
            placeOnce(db, placer);
            placed.incrementAndGet();
        });
        return placed.get() / (phase.toNanos() / 1e9);
    }

    private static Stats concurrentLatency(Database db, Placer placer, int callers, Duration phase) throws Exception {
        List<Long> nanos = Collections.synchronizedList(new ArrayList<>());
        runFor(callers, phase, () -> nanos.add(placeOnce(db, placer)));
        return Stats.ofNanos(nanos);
    }

    private static void runFor(int callers, Duration phase, Runnable work) throws Exception {
        long end = System.nanoTime() + phase.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            running.add(pool.submit(() -> {
                while (System.nanoTime() < end) {
                    work.run();
                }
            }));
        }
        for (Future<?> f : running) {
            f.get();
        }
        pool.shutdown();
    }

    private static void reset(Database db) {
        db.withHandle(h -> h.execute("DELETE FROM workspaces WHERE external_workspace_id LIKE 'placed-%'"));
    }

    /** Hosts whose active and suspended workspaces need more than they have, in any dimension. */
    private static long oversubscribedHosts(Database db) {
        return db.withHandle(h -> h.createQuery("""
                SELECT count(*) FROM hosts h JOIN (
                    SELECT host_id, sum(vcpu) AS vcpu, sum(ram_gb) AS ram, sum(disk_gb) AS disk FROM workspaces
                    WHERE state IN ('active', 'suspended') GROUP BY host_id) u ON u.host_id = h.id
                WHERE u.vcpu > h.total_vcpu OR u.ram > h.total_ram_gb OR u.disk > h.total_disk_gb""").mapTo(Long.class).one());
    }
}
