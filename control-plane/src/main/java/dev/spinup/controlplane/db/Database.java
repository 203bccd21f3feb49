package dev.spinup.controlplane.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.ConnectionException;
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
    /**
     * Admission to the pool, first come first served. Hikari hands a returned connection to
     * whichever thread asks next, not to the longest waiter; with thousands of virtual threads
     * asking at once (every agent of a dead replica reconnecting) some waited past the timeout
     * while the database itself was idle. Callers queue here instead, parked in order, and hold a
     * permit while they hold a connection; nested calls on one thread take no second permit.
     */
    private final Semaphore admission;
    private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
    private static final long ADMISSION_TIMEOUT_MILLIS = 30_000;

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
        this.admission = new Semaphore(config.maxPoolSize(), true);
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
        return admitted(() -> inTransactionAdmitted(work));
    }

    private <T> T inTransactionAdmitted(Function<Tx, T> work) {
        for (int attempt = 1; ; attempt++) {
            List<Runnable> afterCommit = new ArrayList<>();
            try {
                T result = jdbi.inTransaction(handle -> {
                    Connection connection = handle.getConnection();
                    return bound.withConnection(connection, () -> work.apply(new Tx(handle, afterCommit)));
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

    /**
     * PostgreSQL refused the data itself (SQLSTATE class 22, data exception: a NUL byte in text, a
     * number or date out of range; class 23, integrity constraint): running it again fails again.
     */
    public static boolean isDataError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("22") || sql.getSQLState().startsWith("23"))) {
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
        return admitted(() -> jdbi.withHandle(work::apply));
    }

    /** Callers queued for a database connection right now. */
    public int callersWaiting() {
        return admission.getQueueLength();
    }

    /** Runs {@code work} holding one of the pool's admissions (see {@link #admission}). */
    private <T> T admitted(Supplier<T> work) {
        int[] nested = depth.get();
        if (nested[0] > 0) {
            nested[0]++;
            try {
                return work.get();
            } finally {
                nested[0]--;
            }
        }
        try {
            if (!admission.tryAcquire(ADMISSION_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                throw new ConnectionException(new SQLTransientConnectionException("no database connection within "
                        + ADMISSION_TIMEOUT_MILLIS + " ms: " + admission.getQueueLength() + " callers waiting"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException(new SQLTransientConnectionException("interrupted waiting for a connection", e));
        }
        nested[0] = 1;
        try {
            return work.get();
        } finally {
            nested[0] = 0;
            admission.release();
        }
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
    public record Tx(Handle handle, List<Runnable> afterCommitActions) {
        public void afterCommit(Runnable action) {
            afterCommitActions.add(action);
        }

        /** Runs {@code action} after commit before any action registered earlier (test hooks). */
        public void afterCommitFirst(Runnable action) {
            afterCommitActions.addFirst(action);
        }

        /**
         * This transaction's commit returns before its WAL reaches the disk (synchronous_commit off
         * for it alone). Others see it at once; only a crash of PostgreSQL itself, within a fraction
         * of a second of the commit, can lose it. Only for writes whose loss costs nothing but a
         * repeat (a command marked sent or acked is sent again; the agent runs it once).
         */
        public void commitWithoutWaitingForDisk() {
            handle.execute("SET LOCAL synchronous_commit = off");
        }
    }
}
