package dev.spinup.agent.drivers;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs workspaces on this host. Every method is idempotent: the agent may call it again for the
 * same workspace after a crash or a re-sent command, and it must then do nothing twice.
 */
public interface VmDriver extends AutoCloseable {
    /** The driver's name, as configured ("process", "qemu"). */
    String name();

    /** Creates the workspace's disk (directory or image) from its template. Does not start it. */
    void provision(WorkspaceSpec spec) throws DriverException;

    /** Boots the workspace and returns once its app answers; the result is where it answers. */
    String start(String workspaceId) throws DriverException;

    /** Graceful stop, then a hard stop after {@code graceSeconds}. Keeps the disk. */
    void stop(String workspaceId, int graceSeconds) throws DriverException;

    /** Records a new envelope; it takes effect at the workspace's next start. */
    void resize(String workspaceId, int vcpu, int ramGb, int diskGb) throws DriverException;

    /**
     * Writes the workspace's disk as snapshot {@code snapshotId} to {@code out}: a differential
     * against the full snapshot {@code baseSnapshotId} when that is given and this host still has
     * its incremental state, else a full one. Returns the base used, or "" for a full archive.
     */
    String exportDisk(String workspaceId, String snapshotId, String baseSnapshotId, java.io.OutputStream out)
            throws DriverException;

    /**
     * Recreates the workspace's disk from an archive written by {@link #exportDisk}. Does not start
     * it. A workspace whose disk is already here is left as it is.
     */
    void importDisk(WorkspaceSpec spec, java.io.InputStream archive) throws DriverException;

    /**
     * Recreates the workspace's disk from a full archive and then a differential one written
     * against it by {@link #exportDisk}, as {@link #importDisk(WorkspaceSpec, java.io.InputStream)}
     * does with one. A driver that never writes differentials refuses.
     */
    default void importDisk(WorkspaceSpec spec, java.io.InputStream full, java.io.InputStream differential)
            throws DriverException {
        throw new DriverException(
                "differential_unsupported", "the " + name() + " driver writes no differential snapshots");
    }

    /** The tool behind {@link #exportDisk}, recorded with each snapshot. */
    String snapshotTool();

    /** Kills the workspace and removes everything local of it. */
    void destroy(String workspaceId) throws DriverException;

    /** What this host has: every workspace with local state. */
    List<LocalWorkspace> inventory();

    Optional<LocalWorkspace> find(String workspaceId);

    /**
     * What each running workspace listens on besides its app and its IDE, for previews at
     * {@code <id>--<port>.<domain>}: workspace → its port → the address this host's edge dials
     * to reach it ({@code host:port}). Looked at anew on every call.
     */
    default Map<String, Map<Integer, String>> previewPorts() {
        return Map.of();
    }

    /** Reports workspaces that stop on their own (exit or crash), not by {@link #stop}. */
    void onUnexpectedExit(Consumer<UnexpectedExit> listener);

    record UnexpectedExit(String workspaceId, boolean crashed, String message) {}

    /**
     * Ports the driver must not give a new workspace although no workspace of its own holds them:
     * the edge may still proxy to them (see {@code EdgeController#proxiedPorts}).
     */
    default void holdPorts(java.util.function.Supplier<java.util.Set<Integer>> held) {}

    @Override
    void close();
}
