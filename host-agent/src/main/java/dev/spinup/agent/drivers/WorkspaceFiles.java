package dev.spinup.agent.drivers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The on-disk records both drivers keep: one directory per workspace under {@code root}, with its
 * spec and app port in {@code workspace.properties} (written atomically), and the app ports
 * handed out from a range.
 */
final class WorkspaceFiles {
    /** The record's key for the port the workspace's IDE listens on, on hosts that run one. */
    static final String IDE_PORT = "ide_port";

    private final Path root;
    private final int portFrom;
    private final int portTo;
    private volatile java.util.function.Supplier<Set<Integer>> held = Set::of;

    WorkspaceFiles(Path root, int portFrom, int portTo) {
        this.root = root;
        this.portFrom = portFrom;
        this.portTo = portTo;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path dir(String workspaceId) {
        if (!workspaceId.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not a workspace id: " + workspaceId);
        }
        return root.resolve(workspaceId);
    }

    /** Every workspace id with a directory here. */
    List<String> ids() {
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.map(d -> d.getFileName().toString())
                    .filter(id -> id.matches("[0-9a-f-]{36}"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Optional<Properties> properties(String workspaceId) {
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

    Properties require(String workspaceId) throws DriverException {
        return properties(workspaceId)
                .orElseThrow(() ->
                        new DriverException("not_provisioned", "workspace " + workspaceId + " is not on this host"));
    }

    void store(String workspaceId, Properties p) throws IOException {
        Path tmp = dir(workspaceId).resolve("workspace.properties.tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "SpinUp workspace " + workspaceId);
        }
        Files.move(
                tmp,
                dir(workspaceId).resolve("workspace.properties"),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** The spec with a newly allocated app port (a driver adds its own keys before storing it). */
    Properties newRecord(WorkspaceSpec spec) throws DriverException {
        Properties p = new Properties();
        p.setProperty("template", spec.template());
        p.setProperty("display_name", spec.displayName());
        setEnvelope(p, spec.vcpu(), spec.ramGb(), spec.diskGb());
        p.setProperty("port", Integer.toString(allocatePort()));
        return p;
    }

    /** Records a new envelope in the workspace's record {@code p} (read by {@link #require}); the next boot uses it. */
    void storeEnvelope(String workspaceId, Properties p, int vcpu, int ramGb, int diskGb) throws DriverException {
        setEnvelope(p, vcpu, ramGb, diskGb);
        try {
            store(workspaceId, p);
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot resize " + workspaceId + ": " + DriverException.reason(e), e);
        }
    }

    static void setEnvelope(Properties p, int vcpu, int ramGb, int diskGb) {
        p.setProperty("vcpu", Integer.toString(vcpu));
        p.setProperty("ram_gb", Integer.toString(ramGb));
        p.setProperty("disk_gb", Integer.toString(diskGb));
    }

    static WorkspaceSpec spec(String workspaceId, Properties p) {
        return new WorkspaceSpec(
                workspaceId,
                p.getProperty("template"),
                p.getProperty("display_name"),
                Integer.parseInt(p.getProperty("vcpu")),
                Integer.parseInt(p.getProperty("ram_gb")),
                Integer.parseInt(p.getProperty("disk_gb")));
    }

    static int port(Properties p) {
        return Integer.parseInt(p.getProperty("port"));
    }

    /** The port of the workspace's IDE, 0 when it has none (its host or its image runs no IDE). */
    static int idePort(Properties p) {
        return Integer.parseInt(p.getProperty(IDE_PORT, "0"));
    }

    /** Ports not to hand out although no workspace here holds them (the edge may still proxy to them). */
    void holdPorts(java.util.function.Supplier<Set<Integer>> held) {
        this.held = held;
    }

    /** Gives the workspace whose record is {@code p} a port for its IDE, unless it has one. */
    void addIdePort(Properties p) throws DriverException {
        if (!p.containsKey(IDE_PORT)) {
            p.setProperty(IDE_PORT, Integer.toString(allocatePort(Set.of(port(p)))));
        }
    }

    private int allocatePort() throws DriverException {
        return allocatePort(Set.of());
    }

    /**
     * A port no workspace here holds, nothing listens on, no live edge config proxies to, and
     * not in {@code alsoTaken}: a port freed by a destroyed workspace is given out again only
     * once the edge stopped routing its old name there.
     */
    int allocatePort(Set<Integer> alsoTaken) throws DriverException {
        Set<Integer> taken = new HashSet<>(held.get());
        taken.addAll(alsoTaken);
        for (String id : ids()) {
            properties(id).ifPresent(p -> {
                taken.add(port(p));
                if (idePort(p) > 0) {
                    taken.add(idePort(p));
                }
            });
        }
        for (int port = portFrom; port <= portTo; port++) {
            if (!taken.contains(port) && isFree(port)) {
                return port;
            }
        }
        throw new DriverException("no_free_port", "no free port in " + portFrom + "-" + portTo);
    }

    /**
     * The process the workspace's pid file names, if it still runs and {@code ours} recognises it
     * (after an agent restart); a stale pid file is removed.
     */
    Optional<ProcessHandle> recordedProcess(String workspaceId, Predicate<ProcessHandle> ours) {
        Path pidFile = dir(workspaceId).resolve("pid");
        try {
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            Optional<ProcessHandle> process = ProcessHandle.of(
                            Long.parseLong(Files.readString(pidFile).trim()))
                    .filter(ProcessHandle::isAlive)
                    .filter(ours);
            if (process.isEmpty()) {
                Files.deleteIfExists(pidFile);
            }
            return process;
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("unreadable pid file " + pidFile + ": " + e, e);
        }
    }

    void writePid(String workspaceId, long pid) throws IOException {
        Files.writeString(dir(workspaceId).resolve("pid"), Long.toString(pid));
    }

    void deletePid(String workspaceId) {
        try {
            Files.deleteIfExists(dir(workspaceId).resolve("pid"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the pid file of " + workspaceId, e);
        }
    }

    static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    /** The last lines of a log file, joined for an error message. */
    static String tail(Path logFile, int lines) {
        try {
            List<String> all = Files.readAllLines(logFile);
            return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no output)";
        }
    }
}
