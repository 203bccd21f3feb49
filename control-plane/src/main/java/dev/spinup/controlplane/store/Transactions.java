package dev.spinup.controlplane.store;

import java.util.function.Consumer;
import java.util.function.Function;

/**
 * How work reaches the database. {@code work} must only touch the database: a transaction never
 * waits on object storage, an agent or any other network call (do those with nothing held, then
 * record the outcome in another transaction). A transaction the database aborts as a deadlock
 * victim or for a serialization failure is run again, a few times.
 */
public interface Transactions {
    <T> T inTransaction(Function<Tx, T> work);

    default void inTransactionVoid(Consumer<Tx> work) {
        inTransaction(tx -> {
            work.accept(tx);
            return null;
        });
    }

    /** Reads outside a transaction (each statement sees what is committed when it starts). */
    <T> T read(Function<Tx, T> work);
}
