package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.store.AuditLog;
import dev.spinup.controlplane.store.CommandStore;
import dev.spinup.controlplane.store.DomainStore;
import dev.spinup.controlplane.store.EdgeStore;
import dev.spinup.controlplane.store.FleetStore;
import dev.spinup.controlplane.store.OperationStore;
import dev.spinup.controlplane.store.PlacementStore;
import dev.spinup.controlplane.store.RefusedEventStore;
import dev.spinup.controlplane.store.SnapshotStore;
import dev.spinup.controlplane.store.TokenStore;
import dev.spinup.controlplane.store.Tx;
import dev.spinup.controlplane.store.WorkspaceStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/** A {@link Tx} on one Jdbi handle: each store is its shared SqlObject bound to that handle (see {@link SharedStores}), made on first use. */
final class JdbiTx implements Tx {
    /** Every store a transaction may attach (see {@link Database}: their metadata is built once). */
    static final List<Class<?>> STORES = List.of(
            JdbiWorkspaceStore.class,
            JdbiOperationStore.class,
            JdbiScalingStore.class,
            JdbiDnsStore.class,
            JdbiFleetStore.class,
            JdbiSnapshotStore.class,
            JdbiDomainStore.class,
            JdbiAuditLog.class,
            JdbiCommandStore.class,
            JdbiEdgeStore.class,
            JdbiAccessStore.class,
            JdbiTokenStore.class,
            JdbiRefusedEventStore.class);

    private final Handle handle;
    private final boolean transactional;
    private final SharedStores stores;
    private final Map<Class<?>, Object> attached = new HashMap<>();

    JdbiTx(Handle handle, boolean transactional, SharedStores stores) {
        this.handle = handle;
        this.transactional = transactional;
        this.stores = stores;
    }

    private <T> T attach(Class<T> type) {
        return type.cast(attached.computeIfAbsent(type, t -> stores.bind(t, handle)));
    }

    @Override
    public WorkspaceStore workspaces() {
        return attach(JdbiWorkspaceStore.class);
    }

    @Override
    public OperationStore operations() {
        return attach(JdbiOperationStore.class);
    }

    @Override
    public dev.spinup.controlplane.store.ScalingStore scaling() {
        return attach(JdbiScalingStore.class);
    }

    @Override
    public dev.spinup.controlplane.store.DnsStore dns() {
        return attach(JdbiDnsStore.class);
    }

    @Override
    public FleetStore fleet() {
        return attach(JdbiFleetStore.class);
    }

    @Override
    public SnapshotStore snapshots() {
        return attach(JdbiSnapshotStore.class);
    }

    @Override
    public DomainStore domains() {
        return attach(JdbiDomainStore.class);
    }

    @Override
    public AuditLog audit() {
        return attach(JdbiAuditLog.class);
    }

    @Override
    public CommandStore commands() {
        return attach(JdbiCommandStore.class);
    }

    @Override
    public EdgeStore edge() {
        return attach(JdbiEdgeStore.class);
    }

    @Override
    public dev.spinup.controlplane.store.AccessStore access() {
        return attach(JdbiAccessStore.class);
    }

    @Override
    public TokenStore tokens() {
        return attach(JdbiTokenStore.class);
    }

    @Override
    public RefusedEventStore refusedEvents() {
        return attach(JdbiRefusedEventStore.class);
    }

    @Override
    public PlacementStore placement() {
        return new JdbiPlacementStore(handle);
    }

    @Override
    public void afterCommit(Runnable action) {
        requireTransaction();
        handle.afterCommit(action);
    }

    @Override
    public void afterRollback(Runnable action) {
        requireTransaction();
        handle.afterRollback(action);
    }

    @Override
    public void commitWithoutWaitingForDisk() {
        requireTransaction();
        handle.execute("SET LOCAL synchronous_commit = off");
    }

    @Override
    public void notify(String channel, String payload) {
        handle.execute("SELECT pg_notify(?, ?)", channel, payload);
    }

    private void requireTransaction() {
        if (!transactional) {
            throw new IllegalStateException("a read has no commit");
        }
    }
}
