package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An installation upgraded with data in it: V13 files every existing operation under its
 * workspace's flavor, and refuses, naming them, workspaces that share an external id while not
 * deleted, instead of half-applying a unique index the data does not meet.
 */
class MigrationUpgradeTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    static dev.spinup.controlplane.postgres.Database db;

    @org.junit.jupiter.api.AfterAll
    static void stop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void v13BackfillsOperationFlavorsAndNamesDuplicateExternalIds() {
        db = new dev.spinup.controlplane.postgres.Database(pg.config());
        Jdbi jdbi = db.jdbi();
        migrateTo("12");
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        UUID deleted = UUID.randomUUID();
        jdbi.useHandle(h -> {
            h.execute("INSERT INTO regions (id, display_name) VALUES ('r', 'R')");
            for (UUID id : List.of(first, second, deleted)) {
                h.execute("""
                        INSERT INTO workspaces (id, external_workspace_id, external_user_id, display_name, region_id,
                            flavor, vcpu, ram_gb, disk_gb, state, template)
                        VALUES (?, 'twice', 'u', 'w', 'r', ?, 1, 1, 5, ?, 'starter')""", id, id == first ? "pro" : "hobby", id == deleted ? "deleted" : "archived");
            }
            h.execute("""
                    INSERT INTO operations (id, workspace_id, verb, status, request_id, request_fingerprint, actor,
                        job_id, requested_at)
                    VALUES (?, ?, 'archive', 'pending', 'r-1', 'f', 'system', 'j-1', now())""", UUID.randomUUID(), first);
        });

        assertThatThrownBy(() -> migrateTo("13"))
                .hasStackTraceContaining("external_workspace_id must name one live workspace")
                .hasStackTraceContaining("'twice' (workspaces ")
                .hasStackTraceContaining(first.toString())
                .hasStackTraceContaining(second.toString());
        assertThat(one(
                        jdbi,
                        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'operations' AND column_name = 'flavor'",
                        Integer.class))
                .as("a refused migration changes nothing")
                .isZero();

        // the operator deletes the extra workspace (as DELETE would leave it) and starts again
        jdbi.useHandle(h -> h.execute("UPDATE workspaces SET state = 'deleted' WHERE id = ?", second));
        migrateTo("13");
        assertThat(one(jdbi, "SELECT flavor FROM operations", String.class)).isEqualTo("pro");
    }

    private static <T> T one(Jdbi jdbi, String sql, Class<T> type) {
        return jdbi.withHandle(h -> h.createQuery(sql).mapTo(type).one());
    }

    private static void migrateTo(String version) {
        Flyway.configure()
                .dataSource(db.pool())
                .locations("classpath:db/migration")
                .target(version)
                .load()
                .migrate();
    }
}
