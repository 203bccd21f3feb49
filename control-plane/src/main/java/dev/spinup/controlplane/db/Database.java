package dev.spinup.controlplane.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Function;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;

/**
 * The control plane's database: a connection pool, migrations on start, and transactions that
 * db-scheduler can join (so an operation row and its job commit or roll back together).
 */
public final class Database implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Database.class);

    private final DatabaseConfig config;
    private final HikariDataSource pool;
    private final ThreadBoundDataSource bound;
    private final Jdbi jdbi;

    public Database(DatabaseConfig config) {
        this.config = config;
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(config.jdbcUrl());
        hikari.setUsername(config.user());
        hikari.setPassword(config.password());
        hikari.setMaximumPoolSize(config.maxPoolSize());
        hikari.setPoolName("spinup");
        hikari.setConnectionTimeout(10_000);
        this.pool = new HikariDataSource(hikari);
        this.bound = new ThreadBoundDataSource(pool);
        this.jdbi = Jdbi.create(pool).installPlugin(new PostgresPlugin());
    }

    /** Applies the migrations in spinup-migrations (db/migration). Safe to run on every start. */
    public void migrate() {
        Flyway.configure()
                .dataSource(pool)
                .locations("classpath:db/migration")
                .load()
                .migrate();
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /**
     * A DataSource that, inside {@link #inTransaction}, hands out the transaction's own connection.
     * Give it to db-scheduler's SchedulerClient so scheduling joins the caller's transaction.
     */
    public ThreadBoundDataSource transactionalDataSource() {
        return bound;
    }

    /** The pool itself, for db-scheduler's own polling. */
    public HikariDataSource pool() {
        return pool;
    }

    /**
     * Runs {@code work} in one transaction. Callbacks registered with {@link Tx#afterCommit} run
     * after a successful commit (never after a rollback). A transaction PostgreSQL aborts as a
     * deadlock victim or for a serialization failure is run again, a few times: {@code work} must
     * only touch the database (everything else goes in after-commit callbacks).
     */
    public <T> T inTransaction(Function<Tx, T> work) {
        for (int attempt = 1; ; attempt++) {
            List<Runnable> afterCommit = new ArrayList<>();
            try {
                T result = jdbi.inTransaction(handle -> {
                    Connection connection = handle.getConnection();
                    return bound.withConnection(connection, () -> work.apply(new Tx(handle, afterCommit::add)));
                });
                afterCommit.forEach(Runnable::run);
                return result;
            } catch (RuntimeException e) {
                if (attempt >= MAX_ATTEMPTS || !isRetryable(e)) {
                    throw e;
                }
                log.info("event=transaction_retried attempt={} cause={}", attempt, e.getMessage());
            }
        }
    }

    private static final int MAX_ATTEMPTS = 3;

    /** 40P01 deadlock_detected, 40001 serialization_failure. */
    static boolean isRetryable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && ("40P01".equals(sql.getSQLState()) || "40001".equals(sql.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    public void inTransactionVoid(Consumer<Tx> work) {
        inTransaction(tx -> {
            work.accept(tx);
            return null;
        });
    }

    public <T> T withHandle(Function<Handle, T> work) {
        return jdbi.withHandle(work::apply);
    }

    /** A connection outside the pool, for LISTEN (which must outlive any pooled checkout). */
    public Connection openDedicatedConnection() throws SQLException {
        Properties props = new Properties();
        if (config.user() != null) {
            props.setProperty("user", config.user());
        }
        if (config.password() != null) {
            props.setProperty("password", config.password());
        }
        return DriverManager.getConnection(config.jdbcUrl(), props);
    }

    @Override
    public void close() {
        pool.close();
    }

    /** A transaction in progress. */
    public record Tx(Handle handle, Consumer<Runnable> afterCommitSink) {
        public void afterCommit(Runnable action) {
            afterCommitSink.accept(action);
        }
    }
}
