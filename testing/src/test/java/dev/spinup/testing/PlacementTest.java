package dev.spinup.testing;

import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.Operation;
import dev.spinup.controlplane.db.Ids;
import dev.spinup.controlplane.fleet.FleetStore;
import dev.spinup.controlplane.workspaces.Envelope;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Placement under concurrency: hosts are filled exactly to capacity and never past it. The hosts
 * here heartbeat through the store and have no agent, so operations stay pending; placement alone
 * is under test.
 */
class PlacementTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();
    @TempDir
    static Path dir;
    static SpinUpCluster cluster;
    static final List<UUID> hosts = new ArrayList<>();

    @BeforeAll
    static void start() {
        cluster = SpinUpCluster.builder(pg.config(), dir).start();
        FleetStore fleet = new FleetStore();
        for (int i = 0; i < 3; i++) {
            UUID id = Ids.newId(Clock.systemUTC());
            cluster.database().inTransactionVoid(tx -> {
                fleet.registerHost(tx.handle(), id, SpinUpCluster.REGION, "placement-" + id, new Envelope(4, 64, 500));
                fleet.heartbeat(tx.handle(), id, Clock.systemUTC().instant());
            });
            hosts.add(id);
        }
    }

    @AfterAll
    static void stop() {
        cluster.close();
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
                        return cluster.product().createWorkspace(Workspaces.hobby("p").build());
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
                assertThat(ApiAssertions.errorInfo(e).getReason()).isEqualTo(ErrorReason.NO_CAPACITY.name());
            }
        }
        assertThat(placed).isEqualTo(capacity);
        List<Integer> perHost = cluster.database().withHandle(h -> h.createQuery("""
                        SELECT COALESCE(sum(w.vcpu), 0)::int FROM hosts h
                        LEFT JOIN workspaces w ON w.host_id = h.id AND w.state IN ('active', 'suspended')
                        WHERE h.id = ANY(:ids) GROUP BY h.id""")
                .bindArray("ids", UUID.class, hosts).mapTo(Integer.class).list());
        assertThat(perHost).hasSize(3).allSatisfy(used -> assertThat(used).isEqualTo(4));
    }
}
