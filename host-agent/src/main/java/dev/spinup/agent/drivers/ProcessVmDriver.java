package dev.spinup.agent.drivers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
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
public final class ProcessVmDriver implements VmDriver {
    private static final Logger log = LoggerFactory.getLogger(ProcessVmDriver.class);

    private final Path root;
    private final Path guestDir;
    private final String advertiseHost;
    private final int portFrom;
    private final int portTo;
    private final Duration startTimeout;
    private final Map<String, ProcessHandle> running = new ConcurrentHashMap<>();
    /** Workspaces being stopped on purpose: their exit is consumed here, not reported as a crash. */
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();
    private final List<Consumer<UnexpectedExit>> exitListeners = new CopyOnWriteArrayList<>();

    public ProcessVmDriver(Path root, Path guestDir, String advertiseHost, int portFrom, int portTo,
                           Duration startTimeout) {
        this.root = root;
        this.guestDir = guestDir;
        this.advertiseHost = advertiseHost;
        this.portFrom = portFrom;
        this.portTo = portTo;
        this.startTimeout = startTimeout;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        adoptSurvivors();
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public synchronized void provision(WorkspaceSpec spec) throws DriverException {
        Path dir = dir(spec.workspaceId());
        if (Files.exists(dir.resolve("workspace.properties"))) {
            return; // provisioned before (a re-sent command, or a retry after a crash)
        }
        if (!Files.isDirectory(guestDir.resolve("templates").resolve(spec.template()))) {
            throw new DriverException("unknown_template", "this host has no template '" + spec.template() + "'");
        }
        try {
            Files.createDirectories(dir.resolve("disk"));
            writeSpec(spec);
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot provision " + spec.workspaceId() + ": " + e.getMessage(), e);
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
                    runTar(tarCreate(work, disk), null, out);
                } finally {
                    Files.deleteIfExists(work);
                }
                return baseSnapshotId;
            }
            Path snar = snarDir.resolve(safe(snapshotId) + ".snar");
            Files.deleteIfExists(snar);
            runTar(tarCreate(snar, disk), null, out);
            try (Stream<Path> old = Files.list(snarDir)) {
                for (Path f : old.filter(f -> !f.equals(snar)).toList()) {
                    Files.deleteIfExists(f);
                }
            }
            return "";
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot snapshot " + workspaceId + ": " + e.getMessage(), e);
        }
    }

    private static List<String> tarCreate(Path state, Path disk) {
        return List.of("tar", "--listed-incremental=" + state, "-czf", "-", "-C", disk.toString(), ".");
    }

    private static String safe(String id) {
        if (!id.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not a snapshot id: " + id);
        }
        return id;
    }

    @Override
    public synchronized void importDisk(WorkspaceSpec spec, InputStream archive) throws DriverException {
        Path dir = dir(spec.workspaceId());
        if (Files.isDirectory(dir.resolve("disk")) && Files.exists(dir.resolve("workspace.properties"))) {
            return; // restored before
        }
        Path partial = dir.resolve("disk.partial");
        try {
            deleteTree(partial);
            Files.createDirectories(partial);
            runTar(List.of("tar", "--listed-incremental=/dev/null", "-xzf", "-", "-C", partial.toString()), archive, null);
            Files.move(partial, dir.resolve("disk"), StandardCopyOption.ATOMIC_MOVE);
            writeSpec(spec);
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot restore " + spec.workspaceId() + ": " + e.getMessage(), e);
        }
    }

    private static void runTar(List<String> command, InputStream stdin, OutputStream stdout) throws DriverException {
        try {
            Process tar = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.PIPE)
                    .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
                            : ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(stdout == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.PIPE)
                    .start();
            // stderr is drained on its own thread so a chatty tar never blocks on a full pipe
            var stderr = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (InputStream e = tar.getErrorStream()) {
                    return new String(e.readAllBytes());
                } catch (IOException x) {
                    return "";
                }
            });
            if (stdin != null) {
                try (OutputStream in = tar.getOutputStream()) {
                    stdin.transferTo(in);
                }
            }
            if (stdout != null) {
                try (InputStream tarOut = tar.getInputStream()) {
                    tarOut.transferTo(stdout);
                }
            }
            int exit = tar.waitFor();
            if (exit != 0) {
                throw new DriverException("tar_failed", String.join(" ", command) + " exited " + exit + ": "
                        + stderr.join().trim());
            }
        } catch (IOException e) {
            throw new DriverException("io_error", "tar failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while running tar");
        }
    }

    private void writeSpec(WorkspaceSpec spec) throws IOException, DriverException {
        Properties p = new Properties();
        p.setProperty("template", spec.template());
        p.setProperty("display_name", spec.displayName());
        p.setProperty("vcpu", Integer.toString(spec.vcpu()));
        p.setProperty("ram_gb", Integer.toString(spec.ramGb()));
        p.setProperty("disk_gb", Integer.toString(spec.diskGb()));
        p.setProperty("port", Integer.toString(allocatePort()));
        store(spec.workspaceId(), p);
    }

    @Override
    public synchronized void resize(String workspaceId, int vcpu, int ramGb, int diskGb) throws DriverException {
        Properties p = properties(workspaceId).orElseThrow(() ->
                new DriverException("not_provisioned", "workspace " + workspaceId + " is not on this host"));
        p.setProperty("vcpu", Integer.toString(vcpu));
        p.setProperty("ram_gb", Integer.toString(ramGb));
        p.setProperty("disk_gb", Integer.toString(diskGb));
        try {
            store(workspaceId, p);
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot resize " + workspaceId + ": " + e.getMessage(), e);
        }
    }

    private void store(String workspaceId, Properties p) throws IOException {
        Path tmp = dir(workspaceId).resolve("workspace.properties.tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "SpinUp workspace " + workspaceId);
        }
        Files.move(tmp, dir(workspaceId).resolve("workspace.properties"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public String start(String workspaceId) throws DriverException {
        Properties p = properties(workspaceId)
                .orElseThrow(() -> new DriverException("not_provisioned", "workspace " + workspaceId + " is not on this host"));
        int port = Integer.parseInt(p.getProperty("port"));
        String endpoint = "http://" + advertiseHost + ":" + port;
        ProcessHandle process;
        synchronized (this) {
            ProcessHandle existing = running.get(workspaceId);
            if (existing != null && existing.isAlive()) {
                process = existing; // already running: just make sure it answers
            } else {
                process = spawn(workspaceId, p, port);
            }
        }
        awaitReady(workspaceId, process, port);
        return endpoint;
    }

    private ProcessHandle spawn(String workspaceId, Properties p, int port) throws DriverException {
        if (!isFree(port)) {
            // Someone else answers there: waiting for "ready" would mistake them for this workspace.
            throw new DriverException("port_in_use", "port " + port + " of workspace " + workspaceId
                    + " is in use by another process on this host");
        }
        Path dir = dir(workspaceId);
        ProcessBuilder pb = new ProcessBuilder("sh", guestDir.resolve("entrypoint.sh").toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("guest.log").toFile()));
        Map<String, String> env = pb.environment();
        env.put("SPINUP_WORKSPACE_ID", workspaceId);
        env.put("SPINUP_WORKSPACE_DIR", dir.resolve("disk").toString());
        env.put("SPINUP_APP_PORT", Integer.toString(port));
        env.put("SPINUP_TEMPLATE", p.getProperty("template"));
        env.put("SPINUP_DISPLAY_NAME", p.getProperty("display_name"));
        try {
            Process process = pb.start();
            Files.writeString(dir.resolve("pid"), Long.toString(process.pid()));
            ProcessHandle handle = process.toHandle();
            supervise(workspaceId, handle);
            log.info("event=workspace_process_started workspace={} pid={} port={}", workspaceId, process.pid(), port);
            return handle;
        } catch (IOException e) {
            throw new DriverException("spawn_failed", "cannot start the guest entrypoint: " + e.getMessage(), e);
        }
    }

    private void supervise(String workspaceId, ProcessHandle handle) {
        running.put(workspaceId, handle);
        handle.onExit().thenAccept(h -> {
            running.remove(workspaceId, h);
            if (stopping.remove(workspaceId)) {
                return;
            }
            String message = "the workspace process " + h.pid() + " exited on its own; last output: " + logTail(workspaceId);
            log.warn("event=workspace_exited workspace={} pid={}", workspaceId, h.pid());
            exitListeners.forEach(l -> l.accept(new UnexpectedExit(workspaceId, true, message)));
        });
    }

    private void awaitReady(String workspaceId, ProcessHandle process, int port) throws DriverException {
        Instant deadline = Instant.now().plus(startTimeout);
        URI health = URI.create("http://127.0.0.1:" + port + "/");
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new DriverException("exited", "the workspace exited while starting: " + logTail(workspaceId));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) health.toURL().openConnection();
                c.setConnectTimeout(200);
                c.setReadTimeout(1000);
                int status = c.getResponseCode();
                c.disconnect();
                if (status < 500) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            try {
                Thread.sleep(25); // polling the app's port, bounded by the start deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DriverException("interrupted", "interrupted while waiting for the workspace");
            }
        }
        throw new DriverException("start_timeout", "the workspace did not answer on port " + port + " within "
                + startTimeout.toSeconds() + "s: " + logTail(workspaceId));
    }

    @Override
    public void stop(String workspaceId, int graceSeconds) throws DriverException {
        ProcessHandle process = running.get(workspaceId);
        if (process == null || !process.isAlive()) {
            deletePidFile(workspaceId);
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
                log.warn("event=workspace_hard_stop workspace={} grace_seconds={}", workspaceId, graceSeconds);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            // exited anyway
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        process.onExit().join();
        running.remove(workspaceId);
        deletePidFile(workspaceId);
    }

    @Override
    public void destroy(String workspaceId) throws DriverException {
        stop(workspaceId, 0);
        Path dir = dir(workspaceId);
        try {
            deleteTree(dir);
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    @Override
    public List<LocalWorkspace> inventory() {
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.map(d -> d.getFileName().toString()).map(this::find).flatMap(Optional::stream).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Optional<LocalWorkspace> find(String workspaceId) {
        return properties(workspaceId).map(p -> {
            ProcessHandle process = running.get(workspaceId);
            boolean alive = process != null && process.isAlive();
            WorkspaceSpec spec = new WorkspaceSpec(workspaceId, p.getProperty("template"),
                    p.getProperty("display_name"), Integer.parseInt(p.getProperty("vcpu")),
                    Integer.parseInt(p.getProperty("ram_gb")), Integer.parseInt(p.getProperty("disk_gb")));
            return new LocalWorkspace(workspaceId, alive ? LocalWorkspace.State.RUNNING : LocalWorkspace.State.STOPPED,
                    alive ? "http://" + advertiseHost + ":" + p.getProperty("port") : "", spec);
        });
    }

    @Override
    public void onUnexpectedExit(Consumer<UnexpectedExit> listener) {
        exitListeners.add(listener);
    }

    /** The workspace processes keep running; the next agent adopts them. */
    @Override
    public void close() {
        exitListeners.clear();
    }

    /** After an agent restart, take back workspace processes that are still running. */
    private void adoptSurvivors() {
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.toList()) {
                Path pidFile = dir.resolve("pid");
                if (!Files.exists(pidFile)) {
                    continue;
                }
                String id = dir.getFileName().toString();
                Optional<ProcessHandle> process = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim()))
                        .filter(ProcessHandle::isAlive);
                if (process.isPresent()) {
                    supervise(id, process.get());
                    log.info("event=workspace_adopted workspace={} pid={}", id, process.get().pid());
                } else {
                    Files.deleteIfExists(pidFile);
                }
            }
        } catch (IOException | NumberFormatException e) {
            log.warn("event=adopt_failed error={}", e.toString());
        }
    }

    private int allocatePort() throws DriverException {
        Set<Integer> taken = new HashSet<>();
        try (Stream<Path> dirs = Files.list(root)) {
            dirs.forEach(d -> properties(d.getFileName().toString())
                    .ifPresent(p -> taken.add(Integer.parseInt(p.getProperty("port")))));
        } catch (IOException e) {
            throw new DriverException("io_error", e.getMessage(), e);
        }
        for (int port = portFrom; port <= portTo; port++) {
            if (!taken.contains(port) && isFree(port)) {
                return port;
            }
        }
        throw new DriverException("no_free_port", "no free port in " + portFrom + "-" + portTo);
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Optional<Properties> properties(String workspaceId) {
        Path file = dir(workspaceId).resolve("workspace.properties");
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
            return Optional.of(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void deletePidFile(String workspaceId) {
        try {
            Files.deleteIfExists(dir(workspaceId).resolve("pid"));
        } catch (IOException e) {
            log.warn("event=pid_file_delete_failed workspace={} error={}", workspaceId, e.toString());
        }
    }

    private String logTail(String workspaceId) {
        Path logFile = dir(workspaceId).resolve("guest.log");
        try {
            List<String> lines = Files.readAllLines(logFile);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no output)";
        }
    }

    private Path dir(String workspaceId) {
        if (!workspaceId.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not a workspace id: " + workspaceId);
        }
        return root.resolve(workspaceId);
    }
}
