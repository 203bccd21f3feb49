package dev.spinup.controlplane.api;

import dev.spinup.controlplane.store.StoreException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

final class Throwables {
    private Throwables() {}

    /** True when the cause chain says the database could not be reached (SQLSTATE class 08). */
    static boolean isDatabaseUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StoreException.Unavailable || t instanceof SQLTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                return true;
            }
        }
        return false;
    }
}
