package dev.spinup.controlplane.postgres;

import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Like Spring's TransactionAwareDataSourceProxy: while a transaction is bound to the current
 * thread, {@link #getConnection()} returns that transaction's connection with a no-op
 * {@code close()}; otherwise a pooled connection. db-scheduler has no API to schedule inside the
 * caller's transaction; this gives it one.
 */
public final class ThreadBoundDataSource implements DataSource {
    private final DataSource pool;
    private final ThreadLocal<Connection> current = new ThreadLocal<>();

    ThreadBoundDataSource(DataSource pool) {
        this.pool = pool;
    }

    <T> T withConnection(Connection connection, Supplier<T> work) {
        Connection previous = current.get();
        current.set(connection);
        try {
            return work.get();
        } finally {
            if (previous == null) {
                current.remove();
            } else {
                current.set(previous);
            }
        }
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection connection = current.get();
        if (connection == null) {
            return pool.getConnection();
        }
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "close":
                            return null; // the transaction owns the connection
                        case "isClosed":
                            return connection.isClosed();
                        default:
                            try {
                                return method.invoke(connection, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                    }
                });
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("use getConnection()");
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return pool.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return pool.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return pool.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return pool.isWrapperFor(iface);
    }
}
