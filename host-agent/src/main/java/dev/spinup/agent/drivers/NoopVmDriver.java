package dev.spinup.agent.drivers;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Does nothing but remember states: for benchmarks that measure what the control plane and the
 * agent link cost, without any workspace behind them. Snapshots are empty archives.
 */
public final class NoopVmDriver implements VmDriver {
    private final Map<String, LocalWorkspace> workspaces = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "noop";
    }

    @Override
    public void provision(WorkspaceSpec spec) {
        workspaces.putIfAbsent(
                spec.workspaceId(),
                new LocalWorkspace(spec.workspaceId(), LocalWorkspace.State.PROVISIONED, "", "", spec));
    }

    @Override
    public String start(String workspaceId) throws DriverException {
        String endpoint = "http://127.0.0.1:9";
        if (workspaces.computeIfPresent(
                        workspaceId,
                        (id, w) -> new LocalWorkspace(id, LocalWorkspace.State.RUNNING, endpoint, "", w.spec()))
                == null) {
            throw new DriverException("not_provisioned", "workspace " + workspaceId + " is not on this host");
        }
        return endpoint;
    }

    @Override
    public void stop(String workspaceId, int graceSeconds) {
        workspaces.computeIfPresent(
                workspaceId, (id, w) -> new LocalWorkspace(id, LocalWorkspace.State.STOPPED, "", "", w.spec()));
    }

    @Override
    public void resize(String workspaceId, int vcpu, int ramGb, int diskGb) {}

    @Override
    public String exportDisk(String workspaceId, String snapshotId, String baseSnapshotId, OutputStream out) {
        return "";
    }

    @Override
    public void importDisk(WorkspaceSpec spec, InputStream archive) {
        provision(spec);
    }

    @Override
    public String snapshotTool() {
        return "none";
    }

    @Override
    public void destroy(String workspaceId) {
        workspaces.remove(workspaceId);
    }

    @Override
    public List<LocalWorkspace> inventory() {
        return List.copyOf(workspaces.values());
    }

    @Override
    public Optional<LocalWorkspace> find(String workspaceId) {
        return Optional.ofNullable(workspaces.get(workspaceId));
    }

    @Override
    public void onUnexpectedExit(Consumer<UnexpectedExit> listener) {}

    @Override
    public void close() {}
}
