package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.Operation;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.transitions.Placement;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Placement under concurrency: hosts are filled exactly to capacity and never past it. The hosts
 * here heartbeat through the store and have no agent, so operations stay pending; placement alone
 * is under test.
 */
class PlacementTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static final List<UUID> hosts = new ArrayList<>();

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        for (int i = 0; i < 3; i++) {
            UUID id = Ids.newId(Clock.systemUTC());
            cluster.database().inTransactionVoid(tx -> {
                tx.fleet().registerHost(id, SpinUpCluster.REGION, "placement-" + id, new Envelope(4, 64, 500));
                tx.fleet().heartbeat(id, Clock.systemUTC().instant());
            });
            hosts.add(id);
        }
    }

    @Test
    void concurrentCreatesFillHostsExactlyToCapacity() throws Exception {
        int capacity = 3 * 4; // three hosts of 4 vCPU; a hobby workspace takes 1
        int callers = capacity + 10;
        List<Future<Object>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            for (int i = 0; i < callers; i++) {
                results.add(pool.submit(() -> {
                    try {
                        return cluster.product()
                                .createWorkspace(Workspaces.hobby("p").build())
                                .getOperation();
                    } catch (StatusRuntimeException e) {
                        return e;
                    }
                }));
            }
        }
        int placed = 0;
        for (Future<Object> r : results) {
            Object outcome = r.get();
            if (outcome instanceof Operation) {
                placed++;
            } else {
                StatusRuntimeException e = (StatusRuntimeException) outcome;
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(ApiAssertions.errorInfo(e).getReason()).isEqualTo("NO_CAPACITY");
            }
        }
        assertThat(placed).isEqualTo(capacity);
        List<Integer> perHost = cluster.database()
                .withHandle(h -> h.createQuery("""
                        SELECT COALESCE(sum(w.vcpu), 0)::int FROM hosts h
                        LEFT JOIN workspaces w ON w.host_id = h.id AND w.state IN ('active', 'suspended')
                        WHERE h.id = ANY(:ids) GROUP BY h.id""")
                        .bindArray("ids", UUID.class, hosts)
                        .mapTo(Integer.class)
                        .list());
        assertThat(perHost).hasSize(3).allSatisfy(used -> assertThat(used).isEqualTo(4));
    }

    /**
     * The race one locking statement cannot see, played out step by step: caller B's placement
     * statement takes its snapshot while caller A holds the host's last slot uncommitted; A commits
     * while B is still summing the host's allocation; B then finds the row unlocked. B must see
     * that the host is full now, not place on the allocation its snapshot showed. (Rows a third
     * transaction has inserted and not committed make B's sum slow enough to commit A inside it.)
     */
    @Test
    void aPlacementCommittedWhileAnotherCallerSumsIsNotOverlooked() throws Exception {
        UUID host = Ids.newId(Clock.systemUTC());
        cluster.database().inTransactionVoid(tx -> {
            tx.fleet().ensureRegion("race", "Race");
            tx.fleet().registerHost(host, "race", "race-" + host, new Envelope(3, 64, 500));
            tx.fleet().heartbeat(host, Clock.systemUTC().instant());
        });
        Placement placement = new Placement(Duration.ofMinutes(1), Clock.systemUTC(), new SimpleMeterRegistry());
        Jdbi jdbi = cluster.database().jdbi();
        try (Handle slow = jdbi.open();
                Handle a = jdbi.open();
                Handle b = jdbi.open();
                ExecutorService callerB = Executors.newSingleThreadExecutor()) {
            slow.begin();
            insertWorkspaces(slow, host, 300_000);
            insertWorkspaces(a, host, 2); // committed: one slot left

            a.begin();
            assertThat(placement.place(cluster.database().on(a), "race", HOBBY)).contains(host);
            insertWorkspaces(a, host, 1); // the last slot, not committed yet
            int pidB = b.createQuery("SELECT pg_backend_pid()")
                    .mapTo(Integer.class)
                    .one();
            Future<Optional<UUID>> placedB = callerB.submit(() -> b.inTransaction(tx -> {
                Optional<UUID> placed = placement.place(cluster.database().on(tx), "race", HOBBY);
                placed.ifPresent(h -> insertWorkspaces(tx, h, 1));
                return placed;
            }));
            Eventually.await(
                    Duration.ofSeconds(30),
                    "caller B's placement statement to be running",
                    () -> jdbi.withHandle(h -> h.createQuery(
                                            "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid AND state = 'active' AND query LIKE '%LATERAL%'")
                                    .bind("pid", pidB)
                                    .mapTo(Integer.class)
                                    .one())
                            == 1);
            a.commit();
            assertThat(placedB.get())
                    .as("caller B's placement, after A took the last slot")
                    .isEmpty();
            slow.rollback();
        }
        int used = jdbi.withHandle(h -> h.createQuery(
                        "SELECT sum(vcpu)::int FROM workspaces WHERE host_id = :host AND state IN ('active', 'suspended')")
                .bind("host", host)
                .mapTo(Integer.class)
                .one());
        assertThat(used).as("vCPUs allocated on a host of 3").isEqualTo(3);
    }

    private static final Envelope HOBBY = new Envelope(1, 1, 5);

    private static void insertWorkspaces(Handle h, UUID host, int n) {
        h.createUpdate("""
                INSERT INTO workspaces (id, external_workspace_id, external_user_id, display_name, region_id, host_id,
                                        flavor, vcpu, ram_gb, disk_gb, state, template)
                SELECT gen_random_uuid(), 'raced-' || gen_random_uuid(), 'u', 'raced', 'race', :host, 'hobby', 1, 1, 5, 'active', 'starter'
                FROM generate_series(1, :n)""").bind("host", host).bind("n", n).execute();
    }
}
