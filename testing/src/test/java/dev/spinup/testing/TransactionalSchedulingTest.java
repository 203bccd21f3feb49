package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.spinup.controlplane.postgres.Database;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * db-scheduler has no API to schedule inside the caller's transaction; the thread-bound DataSource
 * gives it one. Rows of ours and the job commit together or not at all.
 */
class TransactionalSchedulingTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    static Database db;
    static OneTimeTask<Void> task = Tasks.oneTime("probe").execute((instance, ctx) -> {});
    static SchedulerClient client;

    @BeforeAll
    static void start() {
        db = new Database(pg.config());
        db.migrate();
        client = SchedulerClient.Builder.create(db.transactionalDataSource(), task)
                .build();
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @Test
    void rollbackRemovesBothTheRowAndTheJob() {
        assertThatThrownBy(() -> db.inTransactionVoid(tx -> {
                    tx.fleet().ensureRegion("rolled-back", "x");
                    client.schedule(task.instance("rolled-back"), Instant.now());
                    throw new IllegalStateException("placement failed after scheduling");
                }))
                .hasMessageContaining("placement failed");

        assertThat(count("SELECT count(*) FROM regions WHERE id = 'rolled-back'"))
                .isZero();
        assertThat(count("SELECT count(*) FROM scheduled_tasks WHERE task_instance = 'rolled-back'"))
                .isZero();
    }

    @Test
    void commitKeepsBoth() {
        db.inTransactionVoid(tx -> {
            tx.fleet().ensureRegion("committed", "x");
            client.schedule(task.instance("committed"), Instant.now());
        });

        assertThat(count("SELECT count(*) FROM regions WHERE id = 'committed'")).isOne();
        assertThat(count("SELECT count(*) FROM scheduled_tasks WHERE task_instance = 'committed'"))
                .isOne();
    }

    @Test
    void afterCommitRunsOnlyAfterACommit() {
        StringBuilder ran = new StringBuilder();
        db.inTransactionVoid(tx -> tx.afterCommit(() -> ran.append("committed;")));
        assertThatThrownBy(() -> db.inTransactionVoid(tx -> {
            tx.afterCommit(() -> ran.append("rolled back;"));
            throw new IllegalStateException("no");
        }));
        assertThat(ran).hasToString("committed;");
    }

    private static long count(String sql) {
        return db.withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
    }
}
