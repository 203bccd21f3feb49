package dev.spinup.agent.drivers;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the process and qemu drivers share: one supervised OS process per running workspace
 * (its pid in the workspace's folder), adopted again after an agent restart, and an exit nobody
 * asked for reported as {@link UnexpectedExit}.
 */
abstract class SupervisedDriver implements VmDriver {
    private static final Logger log = LoggerFactory.getLogger(SupervisedDriver.class);

    protected final WorkspaceFiles files;
    protected final String advertiseHost;
    protected final Map<String, ProcessHandle> running = new ConcurrentHashMap<>();
    /** Workspaces being stopped on purpose: their exit is consumed here, not reported as a crash. */
    protected final Set<String> stopping = ConcurrentHashMap.newKeySet();

    private final List<Consumer<UnexpectedExit>> exitListeners = new CopyOnWriteArrayList<>();
    /**
     * Held while a workspace's files or process are created or changed (provision, restore,
     * resize, spawn). A lock, not a monitor: it is held across process starts and disk I/O, which
     * must not pin a virtual thread's carrier.
     */
    protected final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

    SupervisedDriver(WorkspaceFiles files, String advertiseHost) {
        this.files = files;
        this.advertiseHost = advertiseHost;
    }

    /** Starts the workspace's process (its app on {@code port}, free when this is called). */
    protected abstract ProcessHandle spawn(String workspaceId, Properties record, int port) throws DriverException;

    /** Returns once the workspace started by {@code process} answers on {@code port}. */
    protected abstract void awaitReady(String workspaceId, ProcessHandle process, int port) throws DriverException;

    /** Boots the workspace unless it runs already, then waits until it answers; returns where. */
    @Override
    public String start(String workspaceId) throws DriverException {
        Properties p = files.require(workspaceId);
        int port = WorkspaceFiles.port(p);
        ProcessHandle process;
        lock.lock();
        try {
            ProcessHandle existing = running.get(workspaceId);
            if (existing != null && existing.isAlive()) {
                process = existing; // already running: just make sure it answers
            } else if (!WorkspaceFiles.isFree(port)) {
                // Someone else answers there: waiting for "ready" would mistake them for this workspace.
                throw new DriverException(
                        "port_in_use",
                        "port " + port + " of workspace " + workspaceId + " is in use by another process on this host");
            } else {
                process = spawn(workspaceId, p, port);
            }
        } finally {
            lock.unlock();
        }
        awaitReady(workspaceId, process, port);
        return endpoint(port);
    }

    private String endpoint(int port) {
        return "http://" + advertiseHost + ":" + port;
    }

    /** Why the workspace's process {@code process} ended on its own, for the control plane. */
    protected abstract String unexpectedExitMessage(String workspaceId, ProcessHandle process);

    /** Whether the process a pid file names after a restart is really this workspace's. */
    protected abstract boolean isWorkspaceProcess(String workspaceId, ProcessHandle process);

    /** Called when a workspace's process has ended, before it is reported. */
    protected void processEnded(String workspaceId) {}

    protected final void supervise(String workspaceId, ProcessHandle handle) {
        running.put(workspaceId, handle);
        handle.onExit().thenAccept(h -> {
            running.remove(workspaceId, h);
            processEnded(workspaceId);
            if (stopping.remove(workspaceId)) {
                return;
            }
            String message = unexpectedExitMessage(workspaceId, h);
            log.atWarn()
                    .setMessage("workspace_exited")
                    .addKeyValue("driver", name())
                    .addKeyValue("workspace", workspaceId)
                    .addKeyValue("pid", h.pid())
                    .log();
            exitListeners.forEach(l -> l.accept(new UnexpectedExit(workspaceId, true, message)));
        });
    }

    /** After an agent restart, take back the workspace processes still running. Call once constructed. */
    protected final void adoptSurvivors() {
        for (String id : files.ids()) {
            try {
                files.recordedProcess(id, h -> isWorkspaceProcess(id, h)).ifPresent(process -> {
                    supervise(id, process);
                    log.atInfo()
                            .setMessage("workspace_adopted")
                            .addKeyValue("driver", name())
                            .addKeyValue("workspace", id)
                            .addKeyValue("pid", process.pid())
                            .log();
                });
            } catch (IllegalStateException e) {
                log.atWarn()
                        .setMessage("adopt_failed")
                        .addKeyValue("workspace", id)
                        .addKeyValue("error", e.getMessage())
                        .log();
            }
        }
    }

    protected final boolean isRunning(String workspaceId) {
        ProcessHandle process = running.get(workspaceId);
        return process != null && process.isAlive();
    }

    @Override
    public List<LocalWorkspace> inventory() {
        return files.ids().stream().map(this::find).flatMap(Optional::stream).toList();
    }

    @Override
    public Optional<LocalWorkspace> find(String workspaceId) {
        return files.properties(workspaceId).map(p -> {
            boolean alive = isRunning(workspaceId);
            return new LocalWorkspace(
                    workspaceId,
                    alive ? LocalWorkspace.State.RUNNING : LocalWorkspace.State.STOPPED,
                    alive ? endpoint(WorkspaceFiles.port(p)) : "",
                    alive && WorkspaceFiles.idePort(p) > 0 ? endpoint(WorkspaceFiles.idePort(p)) : "",
                    WorkspaceFiles.spec(workspaceId, p));
        });
    }

    @Override
    public void holdPorts(java.util.function.Supplier<Set<Integer>> held) {
        files.holdPorts(held);
    }

    @Override
    public void onUnexpectedExit(Consumer<UnexpectedExit> listener) {
        exitListeners.add(listener);
    }

    /** The workspaces keep running; the next agent adopts them. */
    @Override
    public void close() {
        exitListeners.clear();
    }
}
