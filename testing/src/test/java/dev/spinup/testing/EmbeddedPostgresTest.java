package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.controlplane.core.Envelope;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The fallback path: the whole flow on the embedded PostgreSQL, as when no server is reachable. */
class EmbeddedPostgresTest {
    @RegisterExtension
    static final PostgresExtension pg = PostgresExtension.embedded();

    @TempDir
    static Path dir;

    @Test
    void createWorkspaceWorksOnEmbeddedPostgres() {
        assertThat(pg.usedEmbedded()).isTrue();
        try (SpinUpCluster cluster = SpinUpCluster.builder(pg.config(), dir).start()) {
            cluster.startAgent(new Envelope(2, 4, 20));
            Operation op = cluster.product()
                    .createWorkspace(Workspaces.hobby("embedded").build())
                    .getOperation();
            assertThat(Workspaces.awaitDone(cluster.product(), op.getId()).getStatus())
                    .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        }
    }
}
