package dev.spinup.agent.drivers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code process} driver: a workspace is the guest entrypoint of vm-base-config run directly
 * as a supervised process tree, in its own directory, listening on a port from a configured range.
 *
 * <p>It gives no VM isolation: the workspace runs as the agent's user, shares the host's kernel,
 * network and filesystem, and its envelope is not enforced. Use it on a laptop and in tests; use
 * the qemu driver where workspaces are untrusted.
 *
 * <p>Layout: {@code <root>/<workspace id>/} holds {@code workspace.properties} (spec and port),
 * {@code disk/} (the workspace's persistent files), {@code pid} while running and {@code guest.log}.
 */
public final class ProcessVmDriver extends SupervisedDriver {
    private static final Logger log = LoggerFactory.getLogger(ProcessVmDriver.class);

    private final Path guestDir;
    private final Duration startTimeout;
    /** The IDE workspaces run beside their app (code-server's folder); null: none. */
    private final Path codeServer;

    private final Path templateDeps;

    public ProcessVmDriver(
            Path root, Path guestDir, String advertiseHost, int portFrom, int portTo, Duration startTimeout) {
        this(root, guestDir, advertiseHost, portFrom, portTo, startTimeout, null, null);
    }

    /**
     * @param codeServer   the IDE every workspace runs beside its app (a built code-server); null: none
     * @param templateDeps {@code <template>/node_modules} a new project gets a copy of; null: none
     */
    public ProcessVmDriver(
            Path root,
            Path guestDir,
            String advertiseHost,
            int portFrom,
            int portTo,
            Duration startTimeout,
            Path codeServer,
            Path templateDeps) {
        super(new WorkspaceFiles(root, portFrom, portTo), advertiseHost);
        this.guestDir = guestDir;
        this.startTimeout = startTimeout;
        this.codeServer = codeServer;
        this.templateDeps = templateDeps;
        adoptSurvivors();
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public void provision(WorkspaceSpec spec) throws DriverException {
        lock.lock();
        try {
            Path dir = dir(spec.workspaceId());
            if (files.properties(spec.workspaceId()).isPresent()) {
                return; // provisioned before (a re-sent command, or a retry after a crash)
            }
            if (!Files.isDirectory(guestDir.resolve("templates").resolve(spec.template()))) {
                throw new DriverException("unknown_template", "this host has no template '" + spec.template() + "'");
            }
            try {
                Files.createDirectories(dir.resolve("disk"));
                writeSpec(spec);
            } catch (IOException e) {
                throw new DriverException(
                        "io_error", "cannot provision " + spec.workspaceId() + ": " + DriverException.reason(e), e);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The disk is a directory: a gzip'd GNU tar of it. Full archives leave their incremental state
     * (a .snar file, outside the disk) so that later ones can be differentials against them.
     */
    @Override
    public String snapshotTool() {
        return "tar";
    }

    @Override
    public String exportDisk(String workspaceId, String snapshotId, String baseSnapshotId, OutputStream out)
            throws DriverException {
        Path disk = dir(workspaceId).resolve("disk");
        if (!Files.isDirectory(disk)) {
            throw new DriverException("not_provisioned", "workspace " + workspaceId + " has no disk on this host");
        }
        Path snarDir = dir(workspaceId).resolve("snar");
        try {
            Files.createDirectories(snarDir);
            Path base = baseSnapshotId.isEmpty() ? null : snarDir.resolve(safe(baseSnapshotId) + ".snar");
            if (base != null && Files.exists(base)) {
                // tar updates the state file it is given: work on a copy so the base stays a full's state
                Path work = snarDir.resolve(safe(snapshotId) + ".diff-state");
                Files.copy(base, work, StandardCopyOption.REPLACE_EXISTING);
                try {
                    ExternalCommand.run(tarCreate(work, disk), null, out);
                } finally {
                    Files.deleteIfExists(work);
                }
                return baseSnapshotId;
            }
            Path snar = snarDir.resolve(safe(snapshotId) + ".snar");
            Files.deleteIfExists(snar);
            ExternalCommand.run(tarCreate(snar, disk), null, out);
            try (Stream<Path> old = Files.list(snarDir)) {
                for (Path f : old.filter(f -> !f.equals(snar)).toList()) {
                    Files.deleteIfExists(f);
                }
            }
            return "";
        } catch (IOException e) {
            throw new DriverException(
                    "io_error", "cannot snapshot " + workspaceId + ": " + DriverException.reason(e), e);
        }
    }

    /**
     * What a snapshot leaves out: the IDE's logs and caches, which code-server rewrites while it
     * runs (a live snapshot would meet them changing) and rebuilds when missing. Its settings,
     * state and extensions are kept.
     */
    static final List<String> NOT_SNAPSHOTTED = List.of(
            "./.ide/user-data/logs",
            "./.ide/user-data/CachedData",
            "./.ide/user-data/CachedProfilesData",
            "./.ide/user-data/User/caches");

    private static List<String> tarCreate(Path state, Path disk) {
        List<String> command = new java.util.ArrayList<>(List.of("tar", "--listed-incremental=" + state));
        NOT_SNAPSHOTTED.forEach(path -> command.add("--exclude=" + path));
        command.addAll(List.of("-czf", "-", "-C", disk.toString(), "."));
        return command;
    }

    private static String safe(String id) {
        if (!id.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not a snapshot id: " + id);
        }
        return id;
    }

    @Override
    public void importDisk(WorkspaceSpec spec, InputStream archive) throws DriverException {
        importLayers(spec, List.of(archive));
    }

    /** The full archive, then the differential: GNU tar's incremental extraction also removes what the differential saw deleted. */
    @Override
    public void importDisk(WorkspaceSpec spec, InputStream full, InputStream differential) throws DriverException {
        importLayers(spec, List.of(full, differential));
    }

    private void importLayers(WorkspaceSpec spec, List<InputStream> layers) throws DriverException {
        lock.lock();
        try {
            Path dir = dir(spec.workspaceId());
            if (Files.isDirectory(dir.resolve("disk")) && Files.exists(dir.resolve("workspace.properties"))) {
                return; // restored before
            }
            Path partial = dir.resolve("disk.partial");
            try {
                WorkspaceFiles.deleteTree(partial);
                Files.createDirectories(partial);
                for (InputStream layer : layers) {
                    ExternalCommand.run(
                            List.of("tar", "--listed-incremental=/dev/null", "-xzf", "-", "-C", partial.toString()),
                            layer,
                            null);
                }
                Files.move(partial, dir.resolve("disk"), StandardCopyOption.ATOMIC_MOVE);
                writeSpec(spec);
            } catch (IOException e) {
                throw new DriverException(
                        "io_error", "cannot restore " + spec.workspaceId() + ": " + DriverException.reason(e), e);
            }
        } finally {
            lock.unlock();
        }
    }

    private void writeSpec(WorkspaceSpec spec) throws IOException, DriverException {
        Properties record = files.newRecord(spec);
        if (codeServer != null) {
            files.addIdePort(record);
        }
        files.store(spec.workspaceId(), record);
    }

    @Override
    public void resize(String workspaceId, int vcpu, int ramGb, int diskGb) throws DriverException {
        lock.lock();
        try {
            Properties p = files.require(workspaceId);
            files.storeEnvelope(workspaceId, p, vcpu, ramGb, diskGb);
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected ProcessHandle spawn(String workspaceId, Properties p, int port) throws DriverException {
        Path dir = dir(workspaceId);
        ProcessBuilder pb = new ProcessBuilder(OwnSession.command(
                        List.of("sh", guestDir.resolve("entrypoint.sh").toString())))
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("guest.log").toFile()));
        Map<String, String> env = pb.environment();
        env.put("SPINUP_WORKSPACE_ID", workspaceId);
        env.put("SPINUP_WORKSPACE_DIR", dir.resolve("disk").toString());
        env.put("SPINUP_APP_PORT", Integer.toString(port));
        env.put("SPINUP_TEMPLATE", p.getProperty("template"));
        env.put("SPINUP_DISPLAY_NAME", p.getProperty("display_name"));
        if (templateDeps != null) {
            env.put("SPINUP_TEMPLATE_DEPS", templateDeps.toString());
        }
        if (codeServer != null) {
            // a workspace provisioned before this host ran an IDE gets its port now
            files.addIdePort(p);
            try {
                files.store(workspaceId, p);
            } catch (IOException e) {
                throw new DriverException("io_error", "cannot record the IDE port of " + workspaceId, e);
            }
            env.put("SPINUP_IDE_PORT", p.getProperty(WorkspaceFiles.IDE_PORT));
            env.put("SPINUP_CODE_SERVER", codeServer.toString());
        }
        try {
            Process process = pb.start();
            files.writePid(workspaceId, process.pid());
            ProcessHandle handle = process.toHandle();
            supervise(workspaceId, handle);
            log.atInfo()
                    .setMessage("workspace_process_started")
                    .addKeyValue("workspace", workspaceId)
                    .addKeyValue("pid", process.pid())
                    .addKeyValue("port", port)
                    .log();
            return handle;
        } catch (IOException e) {
            throw new DriverException(
                    "spawn_failed", "cannot start the guest entrypoint: " + DriverException.reason(e), e);
        }
    }

    /**
     * A workspace's processes are those that carry its id in their environment (the entrypoint
     * exports it, so everything started inside inherits it, also what a terminal sends to the
     * background and outlives its parent). Their listening sockets, less the app's and the IDE's
     * ports, are its previews; they listen on this machine, so the edge dials them on loopback.
     */
    @Override
    public Map<String, Map<Integer, String>> previewPorts() {
        Map<String, Properties> runningHere = new java.util.HashMap<>();
        for (String id : running.keySet()) {
            if (isRunning(id)) {
                files.properties(id).ifPresent(p -> runningHere.put(id, p));
            }
        }
        if (runningHere.isEmpty()) {
            return Map.of();
        }
        Map<Long, String> owners = new java.util.HashMap<>();
        ProcessHandle.allProcesses().forEach(p -> {
            String id = WorkspaceProcesses.workspaceOf(p.pid());
            if (id != null && runningHere.containsKey(id)) {
                owners.put(p.pid(), id);
            }
        });
        Map<String, Map<Integer, String>> previews = new java.util.HashMap<>();
        TcpSockets.listening(owners.keySet()).forEach((pid, ports) -> {
            String id = owners.get(pid);
            Properties p = runningHere.get(id);
            ports.forEach((port, dial) -> {
                boolean own = port == WorkspaceFiles.port(p) || port == WorkspaceFiles.idePort(p);
                if (!own) {
                    previews.computeIfAbsent(id, k -> new java.util.TreeMap<>()).put(port, dial);
                }
            });
        });
        return previews;
    }

    @Override
    protected String unexpectedExitMessage(String workspaceId, ProcessHandle process) {
        return "the workspace process " + process.pid() + " exited on its own; last output: " + logTail(workspaceId);
    }

    @Override
    protected boolean isWorkspaceProcess(String workspaceId, ProcessHandle process) {
        return true; // a live pid from the workspace's own pid file
    }

    @Override
    protected void awaitReady(String workspaceId, ProcessHandle process, int port) throws DriverException {
        Instant deadline = Instant.now().plus(startTimeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new DriverException("exited", "the workspace exited while starting: " + logTail(workspaceId));
            }
            if (AppProbe.answers(port)) {
                return;
            }
            try {
                Thread.sleep(25); // polling the app's port, bounded by the start deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DriverException("interrupted", "interrupted while waiting for the workspace");
            }
        }
        throw new DriverException(
                "start_timeout",
                "the workspace did not answer on port " + port + " within " + startTimeout.toSeconds() + "s: "
                        + logTail(workspaceId));
    }

    @Override
    public void stop(String workspaceId, int graceSeconds) throws DriverException {
        ProcessHandle process = running.get(workspaceId);
        if (process == null || !process.isAlive()) {
            files.deletePid(workspaceId);
            return;
        }
        stopping.add(workspaceId);
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process);
        tree.forEach(ProcessHandle::destroy);
        try {
            process.onExit().get(Math.max(graceSeconds, 0), java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            if (graceSeconds > 0) {
                log.atWarn()
                        .setMessage("workspace_hard_stop")
                        .addKeyValue("workspace", workspaceId)
                        .addKeyValue("grace_seconds", graceSeconds)
                        .log();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            // exited anyway
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        process.onExit().join();
        running.remove(workspaceId);
        files.deletePid(workspaceId);
    }

    @Override
    public void destroy(String workspaceId) throws DriverException {
        stop(workspaceId, 0);
        Path dir = dir(workspaceId);
        try {
            WorkspaceFiles.deleteTree(dir);
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot remove " + dir + ": " + DriverException.reason(e), e);
        }
    }

    private String logTail(String workspaceId) {
        return WorkspaceFiles.tail(dir(workspaceId).resolve("guest.log"), 5);
    }

    private Path dir(String workspaceId) {
        return files.dir(workspaceId);
    }
}
