package dev.spinup.controlplane.grpc;

import dev.spinup.controlplane.store.StoreException;

final class Throwables {
    private Throwables() {}

    /** True when the cause chain says the database could not be reached. */
    static boolean isDatabaseUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StoreException.Unavailable) {
                return true;
            }
        }
        return false;
    }
}
