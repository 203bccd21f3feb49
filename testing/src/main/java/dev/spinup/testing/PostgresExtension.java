package dev.spinup.testing;

import dev.spinup.controlplane.postgres.DatabaseConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh database per test class, dropped afterwards. It lives on the machine's PostgreSQL
 * (SPINUP_TEST_PG_URL, default jdbc:postgresql://127.0.0.1:5432/postgres as user postgres) when
 * that answers, else on an embedded PostgreSQL shared by the JVM. {@link #embedded()} forces the
 * embedded server, so CI exercises both paths.
 *
 * <pre>{@code @RegisterExtension static final PostgresExtension pg = new PostgresExtension();}</pre>
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback {
    private static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";
    private static EmbeddedPostgres sharedEmbedded;

    private final boolean forceEmbedded;
    private String adminUrl;
    private String user;
    private String database;
    private boolean usedEmbedded;

    public PostgresExtension() {
        this(false);
    }

    private PostgresExtension(boolean forceEmbedded) {
        this.forceEmbedded = forceEmbedded;
    }

    public static PostgresExtension embedded() {
        return new PostgresExtension(true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        String machineUrl = System.getenv().getOrDefault("SPINUP_TEST_PG_URL", DEFAULT_URL);
        if (!forceEmbedded && reachable(machineUrl, "postgres")) {
            adminUrl = machineUrl;
            user = "postgres";
        } else {
            EmbeddedPostgres pg = embeddedServer();
            adminUrl = pg.getJdbcUrl("postgres", "postgres");
            user = "postgres";
            usedEmbedded = true;
        }
        database =
                "spinup_test_" + context.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT) + "_"
                        + UUID.randomUUID().toString().substring(0, 8);
        execute("CREATE DATABASE " + database);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (database != null) {
            execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    public DatabaseConfig config() {
        return new DatabaseConfig(withDatabase(adminUrl, database), user, null, 10);
    }

    /** Whether this class runs on the embedded server (forced, or because the machine's did not answer). */
    public boolean usedEmbedded() {
        return usedEmbedded;
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl, props(user));
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static boolean reachable(String url, String user) {
        Properties p = props(user);
        p.setProperty("connectTimeout", "2");
        try (Connection c = DriverManager.getConnection(url, p)) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private static synchronized EmbeddedPostgres embeddedServer() {
        if (sharedEmbedded == null) {
            try {
                sharedEmbedded = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    sharedEmbedded.close();
                } catch (IOException e) {
                    // exiting anyway
                }
            }));
        }
        return sharedEmbedded;
    }

    private static Properties props(String user) {
        Properties p = new Properties();
        p.setProperty("user", user);
        return p;
    }

    private static String withDatabase(String url, String db) {
        int q = url.indexOf('?');
        String base = q < 0 ? url : url.substring(0, q);
        String query = q < 0 ? "" : url.substring(q);
        return base.substring(0, base.lastIndexOf('/') + 1) + db + query;
    }
}
