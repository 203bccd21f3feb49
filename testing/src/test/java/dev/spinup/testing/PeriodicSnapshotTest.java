package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.ListOperationsRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationVerb;
import dev.spinup.api.v1.ResizeWorkspaceRequest;
import dev.spinup.controlplane.core.Envelope;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Periodic snapshots, driven by db-scheduler on an injected clock that the test moves. */
class PeriodicSnapshotTest {
    static final SettableClock clock = new SettableClock();
    static final PauseAt atRetention = new PauseAt("retention");
    static SpinUpCluster cluster;

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.clock(clock)
            .hooks(atRetention)
            // the clock jumps a day at a time: the host must not be lost for the silence that makes
            .fleetTimings(dev.spinup.controlplane.fleet.FleetTimings.defaults()
                    .withHostLossGrace(java.time.Duration.ofDays(365))));

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        cluster.startAgent(new Envelope(4, 8, 50));
    }

    @AfterAll
    static void stop() {
        atRetention.release();
    }

    @Test
    void activeWorkspacesAreSnapshottedOnScheduleDifferentiallyAndWithinRetention() throws Exception {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("daily").build())
                .getOperation();
        assertThat(Workspaces.awaitDone(cluster.product(), create.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        String ws = create.getWorkspaceId();

        // A day later the first periodic snapshot starts; while it is in flight the workspace is not busy.
        clock.advance(Duration.ofHours(25));
        cluster.controlPlane().checkForDueWork();
        Operation first =
                atRetention.awaitReached(Duration.ofSeconds(60)).id().toString().transform(this::operation);
        assertThat(first.getActor()).isEqualTo("system");
        Operation resize = cluster.product()
                .resizeWorkspace(ResizeWorkspaceRequest.newBuilder()
                        .setRequestId("req-" + UUID.randomUUID())
                        .setWorkspaceId(ws)
                        .setFlavor(Flavor.FLAVOR_PRO)
                        .build())
                .getOperation();
        assertThat(Workspaces.awaitDone(cluster.product(), resize.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        atRetention.release();
        assertThat(Workspaces.awaitDone(cluster.product(), first.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);

        UUID full = onlyPeriodic(ws).getFirst();
        assertThat(base(full)).as("the first periodic snapshot is a full one").isNull();

        // The next ones are differentials on that full one.
        UUID second = snapshotAfterADay(ws);
        assertThat(base(second)).isEqualTo(full);

        // Retention 1: the newest is kept with its base; the one in between is purged from storage.
        cluster.database()
                .withHandle(h -> h.execute(
                        "UPDATE workspaces SET snapshot_retention_count = 1 WHERE id = ?", UUID.fromString(ws)));
        UUID third = snapshotAfterADay(ws);
        assertThat(base(third)).isEqualTo(full);
        assertThat(onlyPeriodic(ws)).containsExactlyInAnyOrder(full, third);
        assertThat(cluster.storedObject(objectKey(ws, second))).doesNotExist();
        assertThat(cluster.storedObject(objectKey(ws, third))).exists();
        assertThat(cluster.product()
                        .getWorkspace(GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(ws)
                                .build())
                        .getWorkspace()
                        .getCurrentOperationId())
                .isEmpty();
    }

    private UUID snapshotAfterADay(String ws) {
        int before = snapshotOperations(ws).size();
        clock.advance(Duration.ofHours(25));
        cluster.controlPlane().checkForDueWork();
        List<Operation> ops = Eventually.await(
                Duration.ofSeconds(60),
                "another periodic snapshot of " + ws,
                () -> snapshotOperations(ws),
                list -> list.size() > before
                        && list.getLast().getStatus() == OperationStatus.OPERATION_STATUS_SUCCEEDED);
        assertThat(ops.getLast().getVerb()).isEqualTo(OperationVerb.OPERATION_VERB_SNAPSHOT);
        return cluster.database()
                .withHandle(h -> h.createQuery("""
                        SELECT id FROM snapshots WHERE workspace_id = :ws AND kind = 'periodic'
                        ORDER BY created_at DESC, id DESC LIMIT 1""")
                        .bind("ws", UUID.fromString(ws))
                        .mapTo(UUID.class)
                        .one());
    }

    private Operation operation(String id) {
        return cluster.product()
                .getOperation(dev.spinup.api.v1.GetOperationRequest.newBuilder()
                        .setOperationId(id)
                        .build())
                .getOperation();
    }

    private static List<Operation> snapshotOperations(String ws) {
        return cluster.product()
                .listOperations(ListOperationsRequest.newBuilder()
                        .setWorkspaceId(ws)
                        .setVerb(OperationVerb.OPERATION_VERB_SNAPSHOT)
                        .setPageSize(500)
                        .build())
                .getOperationsList();
    }

    private static List<UUID> onlyPeriodic(String ws) {
        return cluster.database()
                .withHandle(h -> h.createQuery("""
                        SELECT id FROM snapshots WHERE workspace_id = :ws AND kind = 'periodic' AND purged_at IS NULL
                          AND verified_at IS NOT NULL ORDER BY created_at""")
                        .bind("ws", UUID.fromString(ws))
                        .mapTo(UUID.class)
                        .list());
    }

    private static UUID base(UUID snapshot) {
        Map<String, Object> row = cluster.database()
                .withHandle(h -> h.createQuery("SELECT base_id FROM snapshots WHERE id = :id")
                        .bind("id", snapshot)
                        .mapToMap()
                        .one());
        return (UUID) row.get("base_id");
    }

    private static String objectKey(String ws, UUID snapshot) {
        return "workspaces/" + ws + "/snapshots/" + snapshot + ".tar.gz";
    }
}
