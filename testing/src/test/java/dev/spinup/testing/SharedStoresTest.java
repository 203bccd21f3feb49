package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.controlplane.postgres.Database;
import dev.spinup.controlplane.store.TokenStore;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stores are attached once and shared by every transaction (the hot path's biggest cost was
 * attaching them per transaction): a call must still run on its own transaction's connection,
 * whichever transactions are open on the thread, and on any number of threads at once.
 */
class SharedStoresTest {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    static Database db;

    @BeforeAll
    static void open() {
        db = new Database(pg.config());
        db.migrate();
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @Test
    void theStoresAreSharedNotAttachedPerTransaction() {
        assertThat(db.storesShared())
                .as("this Jdbi release still lets a shared store run in its method's configuration")
                .isTrue();
    }

    @Test
    void twoOpenTransactionsOnOneThreadEachSeeOnlyTheirOwnWrites() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        String name = "interleaved-" + UUID.randomUUID();
        try (Handle a = db.jdbi().open();
                Handle b = db.jdbi().open()) {
            a.begin();
            b.begin();
            assertThat(db.on(a)
                            .tokens()
                            .createApiToken(
                                    UUID.randomUUID(), name, sha(name), Set.of("workspaces"), now, null, "admin:test"))
                    .isTrue();
            Optional<TokenStore.ApiTokenInfo> inA = db.on(a).tokens().apiTokenNamed(name);
            assertThat(inA).as("written in a, read in a").isPresent();
            assertThat(inA.get().scopes()).containsExactly("workspaces");
            assertThat(db.on(b).tokens().apiTokenNamed(name))
                    .as("b runs on its own connection: a's write is not committed")
                    .isEmpty();
            a.commit();
            assertThat(db.on(b).tokens().apiTokenNamed(name))
                    .as("committed now")
                    .isPresent();
            b.commit();
        }
    }

    @Test
    void manyThreadsUseTheSameStoresAtOnce() throws Exception {
        List<Future<Boolean>> calls = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(8)) {
            for (int t = 0; t < 8; t++) {
                calls.add(threads.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        String name = "thread-" + UUID.randomUUID();
                        boolean seen = db.inTransaction(tx -> {
                            tx.tokens()
                                    .createApiToken(
                                            UUID.randomUUID(),
                                            name,
                                            sha(name),
                                            Set.of("admin"),
                                            Instant.now(),
                                            null,
                                            "admin:test");
                            return tx.tokens().apiTokenNamed(name).isPresent();
                        });
                        if (!seen
                                || db.read(tx -> tx.tokens().apiTokenNamed(name))
                                        .isEmpty()) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> call : calls) {
                assertThat(call.get(60, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    private static String sha(String s) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
