package dev.spinup.controlplane.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.spinup.controlplane.store.StoreException;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.ConnectionException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.extension.ExtensionFactory;
import org.jdbi.v3.core.extension.Extensions;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectFactory;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.postgresql.util.PSQLException;

/**
 * The control plane's database: a connection pool, migrations on start, and transactions that
 * db-scheduler can join (so an operation row and its job commit or roll back together). What
 * PostgreSQL refuses comes out as a {@link StoreException} saying what kind of refusal it is.
 */
public final class Database implements Transactions, AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Database.class);

    private final DatabaseConfig config;
    private final HikariDataSource pool;
    private final ThreadBoundDataSource bound;
    private final Jdbi jdbi;
    private final SharedStores stores;
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
        this.jdbi = Jdbi.create(pool)
                .installPlugin(new PostgresPlugin())
                .installPlugin(new SqlObjectPlugin())
                .registerArgument(new WireValues.Arguments())
                .registerColumnMapper(new WireValues.Columns())
                .registerRowMapper(new RecordRows())
                .registerArrayType(Instant.class, "timestamptz", Timestamp::from);
        // Jdbi keeps what it learns of a SqlObject type (each method's handler, found by
        // reflection) in the configuration, which every handle copies: learnt on a handle, it is
        // lost with that handle, and every transaction learnt each store it used again (~0.9 ms a
        // store on this project's 2-core machine, against ~0.1 ms for a query). Learnt once here,
        // every handle starts with it; and the stores are attached once (SharedStores).
        Extensions extensions = jdbi.getConfig(Extensions.class);
        ExtensionFactory sqlObjects =
                extensions.findFactory(SqlObjectFactory.class).orElseThrow();
        JdbiTx.STORES.forEach(store -> extensions.findMetadata(store, sqlObjects));
        this.stores = new SharedStores(jdbi, sqlObjects, JdbiTx.STORES);
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

    /** Whether the stores are attached once and shared by all transactions (see SharedStores); false: per transaction, slower. */
    public boolean storesShared() {
        return stores.shared();
    }

    /** The pool itself, for db-scheduler's own polling. */
    public HikariDataSource pool() {
        return pool;
    }

    /** See {@link Transactions#inTransaction}: callbacks from {@link Tx#afterCommit} run after the commit. */
    @Override
    public <T> T inTransaction(Function<Tx, T> work) {
        return translated(() -> admitted(() -> inTransactionAdmitted(work)));
    }

    private <T> T inTransactionAdmitted(Function<Tx, T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                return jdbi.inTransaction(handle -> bound.withConnection(
                        handle.getConnection(), () -> work.apply(new JdbiTx(handle, true, stores))));
            } catch (RuntimeException e) {
                if (attempt >= MAX_ATTEMPTS || !isRetryable(e)) {
                    throw e;
                }
                log.atInfo()
                        .setMessage("transaction_retried")
                        .addKeyValue("attempt", attempt)
                        .addKeyValue("cause", e.getMessage())
                        .log();
            }
        }
    }

    @Override
    public <T> T read(Function<Tx, T> work) {
        return translated(() ->
                admitted(() -> jdbi.withHandle(handle -> work.apply(new JdbiTx(handle, false, stores)))));
    }

    /**
     * The stores on a handle the caller opened and drives (begin, commit) itself: for tests that
     * interleave transactions by hand. Callbacks after commit are not run.
     */
    public Tx on(Handle handle) {
        return new JdbiTx(handle, false, stores);
    }

    /** A raw handle outside the stores: for tests and benchmarks that look at tables directly. */
    public <T> T withHandle(Function<Handle, T> work) {
        return admitted(() -> jdbi.withHandle(work::apply));
    }

    private static final int MAX_ATTEMPTS = 3;

    /** 40P01 deadlock_detected, 40001 serialization_failure. */
    static boolean isRetryable(Throwable e) {
        return sqlState(e)
                .filter(state -> state.equals("40P01") || state.equals("40001"))
                .isPresent();
    }

    /**
     * PostgreSQL's refusal as a {@link StoreException}: 23505 a duplicate key (with its constraint),
     * classes 22 (data exception: a NUL byte in text, a number or date out of range) and 23
     * (integrity constraint) data it will never take, class 08 and pool timeouts unavailable.
     * Anything else, and anything not from the database, passes unchanged.
     */
    private static <T> T translated(Supplier<T> work) {
        try {
            return work.get();
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            Optional<String> state = sqlState(e);
            if (state.isEmpty()) {
                if (cause(e, SQLTransientConnectionException.class).isPresent()) {
                    throw new StoreException.Unavailable("no database connection: " + e.getMessage(), e);
                }
                throw e;
            }
            String s = state.get();
            if (s.equals("23505")) {
                throw new StoreException.Duplicate(constraint(e), e);
            }
            if (s.startsWith("22") || s.startsWith("23")) {
                throw new StoreException.InvalidData(e.getMessage(), e);
            }
            if (s.startsWith("08")) {
                throw new StoreException.Unavailable(e.getMessage(), e);
            }
            throw e;
        }
    }

    private static Optional<String> sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return Optional.of(sql.getSQLState());
            }
        }
        return Optional.empty();
    }

    private static <X extends Throwable> Optional<X> cause(Throwable e, Class<X> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return Optional.of(type.cast(t));
            }
        }
        return Optional.empty();
    }

    private static String constraint(Throwable e) {
        return cause(e, PSQLException.class)
                .map(PSQLException::getServerErrorMessage)
                .map(m -> m.getConstraint() == null ? "" : m.getConstraint())
                .orElse("");
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
            throw new ConnectionException(
                    new SQLTransientConnectionException("interrupted waiting for a connection", e));
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
}
