package dev.spinup.controlplane.store;

/** The database refused or could not do what a store asked; the subclasses say which. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A UNIQUE constraint refused a row: another transaction wrote it first. */
    public static final class Duplicate extends StoreException {
        private final String constraint;

        public Duplicate(String constraint, Throwable cause) {
            super("duplicate key (" + constraint + ")", cause);
            this.constraint = constraint;
        }

        public String constraint() {
            return constraint;
        }
    }

    /** The database refused the data itself (a NUL in text, a value out of range): doing it again fails again. */
    public static final class InvalidData extends StoreException {
        public InvalidData(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The database could not be reached (or no connection was free in time): retry later. */
    public static final class Unavailable extends StoreException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
