package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.controlplane.postgres.Database;
import dev.spinup.controlplane.postgres.DatabaseConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A burst of callers longer than the pool's own wait limit (10 s) is served in order, none
 * failing: what a replica sees when every agent of a dead replica reconnects at once.
 */
class DatabaseAdmissionTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @Test
    void aBurstOfVirtualThreadsLongerThanThePoolTimeoutAllGetTheirConnection() throws Exception {
        DatabaseConfig config = pg.config();
        Database db = new Database(new DatabaseConfig(config.jdbcUrl(), config.user(), config.password(), 2));
        int callers = 2400; // 2,400 x 10 ms on 2 connections: the last one waits about 12 s
        List<Future<Integer>> calls = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < callers; i++) {
                calls.add(threads.submit(() -> db.withHandle(h -> h.createQuery("SELECT 1 FROM pg_sleep(0.01)")
                        .mapTo(Integer.class)
                        .one())));
            }
            int answered = 0;
            for (Future<Integer> call : calls) {
                answered += call.get(60, TimeUnit.SECONDS);
            }
            assertThat(answered).isEqualTo(callers);
        } finally {
            db.close();
        }
    }
}
