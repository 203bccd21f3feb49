package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.Operation;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.snapshots.SnapshotSweep;
import dev.spinup.controlplane.storage.ObjectStorage;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Nothing stays in object storage without a record: a DELETE removes everything under the
 * workspace's prefix (also objects no row names), and the sweep deletes objects no live snapshot
 * stands for once past their grace, counted in spinup_snapshot_objects_swept_total, while every
 * object a snapshot row stands for survives it.
 */
class SnapshotStorageHygieneTest {
    @RegisterExtension
    static final SpinUpExtension spinup =
            SpinUpExtension.with(b -> b.snapshotSweep(new SnapshotSweep.Config(Duration.ofDays(1), Duration.ZERO)));

    static SpinUpCluster cluster;
    static ObjectStorage storage;

    @BeforeAll
    static void start() {
        // A grace of zero: every object is old enough; only its record keeps it.
        cluster = spinup.cluster();
        cluster.startAgent(new Envelope(4, 8, 50));
        storage = new ObjectStorage(new ObjectStorage.Config(
                cluster.s3Endpoint(), "us-east-1", SpinUpCluster.BUCKET, "test-access", "test-secret"));
    }

    @AfterAll
    static void stop() {
        storage.close();
    }

    @Test
    void deleteRemovesEverythingUnderTheWorkspacesPrefixAlsoObjectsWithoutARecord() throws Exception {
        String ws = archived("to-delete");
        String stray = "workspaces/" + ws + "/snapshots/" + UUID.randomUUID() + ".tar.gz";
        put(stray);
        assertThat(cluster.storedObject(stray)).exists();

        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "delete", ws));

        try (var left = Files.walk(spinup.dir()
                .resolve("s3")
                .resolve(SpinUpCluster.BUCKET)
                .resolve("workspaces")
                .resolve(ws))) {
            assertThat(left.filter(Files::isRegularFile).toList())
                    .as("objects left under the workspace")
                    .isEmpty();
        } catch (java.nio.file.NoSuchFileException gone) {
            // the store removed the folder too
        }
    }

    @Test
    void theSweepDeletesObjectsNoSnapshotStandsForAndKeepsTheRest() throws Exception {
        String ws = archived("kept");
        String kept = cluster.database()
                .withHandle(h -> h.createQuery("SELECT object_uri FROM snapshots WHERE workspace_id = :ws")
                        .bind("ws", UUID.fromString(ws))
                        .mapTo(String.class)
                        .one());
        String orphan = "workspaces/" + UUID.randomUUID() + "/snapshots/" + UUID.randomUUID() + ".tar.gz";
        put(orphan);
        double before = Workspaces.metric(cluster.metricsPort(), "spinup_snapshot_objects_swept_total")
                .orElse(0);

        int swept = cluster.controlPlane().sweepSnapshotObjects();

        assertThat(swept).isEqualTo(1);
        assertThat(cluster.storedObject(orphan))
                .as("the object no record stands for")
                .doesNotExist();
        assertThat(cluster.storedObject(ArchiveRestoreTest.key(kept)))
                .as("the archive's verified snapshot")
                .exists();
        assertThat(Workspaces.metric(cluster.metricsPort(), "spinup_snapshot_objects_swept_total")
                        .orElseThrow())
                .isEqualTo(before + 1);
    }

    private static String archived(String name) {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby(name).build())
                .getOperation();
        Workspaces.awaitSucceeded(cluster.product(), create);
        Workspaces.awaitSucceeded(
                cluster.product(), Workspaces.request(cluster.product(), "archive", create.getWorkspaceId()));
        return create.getWorkspaceId();
    }

    /** Writes an object as any client of the bucket could. */
    private static void put(String key) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(storage.presignPut(key, Duration.ofMinutes(5))
                                        .toURI())
                                .PUT(HttpRequest.BodyPublishers.ofString("stray"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }
}
