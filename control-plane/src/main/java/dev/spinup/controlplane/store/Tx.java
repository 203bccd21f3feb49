package dev.spinup.controlplane.store;

/**
 * A transaction in progress, and the stores that work inside it: whatever they change commits or
 * rolls back together. Obtained from {@link Transactions}; never kept beyond the call.
 */
public interface Tx {
    WorkspaceStore workspaces();

    OperationStore operations();

    FleetStore fleet();

    SnapshotStore snapshots();

    DomainStore domains();

    AuditLog audit();

    CommandStore commands();

    EdgeStore edge();

    TokenStore tokens();

    AccessStore access();

    RefusedEventStore refusedEvents();

    PlacementStore placement();

    ScalingStore scaling();

    DnsStore dns();

    /** Runs {@code action} after this transaction commits (never after a rollback). */
    void afterCommit(Runnable action);

    /** Runs {@code action} if this transaction rolls back (its attempt: a retried one runs again). */
    void afterRollback(Runnable action);

    /**
     * This transaction's commit returns before its WAL reaches the disk. Others see it at once;
     * only a crash of PostgreSQL itself, within a fraction of a second of the commit, can lose it.
     * Only for writes whose loss costs nothing but a repeat (a command marked sent or acked is sent
     * again; the agent runs it once).
     */
    void commitWithoutWaitingForDisk();

    /** Tells every replica listening on {@code channel}, at commit. */
    void notify(String channel, String payload);
}
