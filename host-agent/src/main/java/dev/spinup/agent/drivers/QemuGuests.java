package dev.spinup.agent.drivers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The qemu driver's two ways into a running VM: the guest agent's channel (readiness, health,
 * flush, graceful shutdown) and QMP for the hypervisor (live backup, quit). Each VM's two sockets
 * live in a short directory under the system temp folder, since Unix socket paths are limited to
 * about 100 bytes; one guest channel per VM is kept open while it runs.
 */
final class QemuGuests implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QemuGuests.class);

    private final Path socketRoot;
    private final Map<String, GuestChannel> channels = new ConcurrentHashMap<>();

    /** @param driverRoot the driver's data directory: it names the socket folder, so two agents never share one */
    QemuGuests(Path driverRoot) {
        this.socketRoot = Path.of(
                System.getProperty("java.io.tmpdir"),
                "spinup-vm-" + shortHash(driverRoot.toAbsolutePath().toString()));
    }

    Path sockets(String workspaceId) {
        return socketRoot.resolve(workspaceId);
    }

    /** qemu listens on both sockets: their folder must exist and hold no stale ones. */
    void prepareSockets(String workspaceId) throws IOException {
        Files.createDirectories(sockets(workspaceId));
        Files.deleteIfExists(sockets(workspaceId).resolve("guest.sock"));
        Files.deleteIfExists(sockets(workspaceId).resolve("qmp.sock"));
    }

    void removeSockets(String workspaceId) throws IOException {
        WorkspaceFiles.deleteTree(sockets(workspaceId));
    }

    /**
     * Asks until {@code deadline} whether the guest agent has the app up; false when the deadline
     * passed first. {@code exited} is thrown when the VM went away meanwhile.
     */
    boolean awaitAppReady(String workspaceId, ProcessHandle process, long deadline, Supplier<DriverException> exited)
            throws IOException, InterruptedException, DriverException {
        GuestChannel channel = channel(workspaceId, deadline);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw exited.get();
            }
            synchronized (channel) { // a question, then its answers: not interleaved with another's
                channel.send("status");
                for (String line; (line = channel.next(Duration.ofMillis(500))) != null; ) {
                    if (line.equals("ready") || line.startsWith("status ready")) {
                        return true;
                    }
                    if (line.equals("closed")) {
                        throw exited.get();
                    }
                }
            }
        }
        return false;
    }

    /**
     * The guest agent's own account: {@code health <state> restarts=<n> root_bytes=<n>
     * root_free=<n>} (state: starting, ready, restarting, stopping).
     */
    String health(String workspaceId) throws DriverException {
        return ask(workspaceId, "health", Duration.ofSeconds(10));
    }

    /** The ports the guest listens on besides its app's and IDE's, reachable through a host forward. */
    java.util.List<Integer> listeningPorts(String workspaceId) throws DriverException {
        String answer = ask(workspaceId, "ports", Duration.ofSeconds(5));
        return java.util.Arrays.stream(answer.split(" "))
                .skip(1)
                .filter(p -> !p.isEmpty())
                .map(Integer::valueOf)
                .toList();
    }

    /**
     * Forwards {@code hostPort} on {@code bind} to {@code guestPort} inside the running VM, as
     * the command line forwards the app's (qemu's {@code hostfwd_add} on its user network).
     */
    void forward(String workspaceId, String bind, int hostPort, int guestPort) throws DriverException {
        try (Qmp qmp = Qmp.open(sockets(workspaceId).resolve("qmp.sock"))) {
            Object said = qmp.execute(
                    "human-monitor-command",
                    Map.of("command-line", "hostfwd_add net0 tcp:" + bind + ":" + hostPort + "-:" + guestPort));
            // the monitor command answers with text, empty when it worked
            if (said instanceof String text && !text.isBlank()) {
                throw new DriverException(
                        "forward_failed",
                        "qemu could not forward port " + hostPort + " to " + guestPort + " of " + workspaceId + ": "
                                + text.trim());
            }
        } catch (IOException e) {
            throw new DriverException(
                    "forward_failed", "cannot forward a port to " + workspaceId + ": " + DriverException.reason(e), e);
        }
    }

    /**
     * Sends {@code command} on the guest channel and returns the guest's answer, the first line
     * that starts with the command's name. One question at a time per VM: the channel is one
     * stream of lines.
     */
    private String ask(String workspaceId, String command, Duration timeout) throws DriverException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            GuestChannel channel = channel(workspaceId, deadline);
            synchronized (channel) {
                channel.send(command);
                while (System.nanoTime() < deadline) {
                    String line = channel.next(Duration.ofMillis(500));
                    if (line != null && (line.equals(command) || line.startsWith(command + " "))) {
                        return line;
                    }
                    if ("closed".equals(line)) {
                        break;
                    }
                }
            }
        } catch (IOException e) {
            throw new DriverException(
                    "guest_channel", "cannot ask the guest of " + workspaceId + ": " + DriverException.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while asking the guest");
        }
        throw new DriverException("guest_silent", "the guest of " + workspaceId + " did not answer '" + command + "'");
    }

    /** Asks the guest to stop its app and power off. */
    void requestShutdown(String workspaceId) throws IOException, InterruptedException {
        channel(workspaceId, System.nanoTime() + TimeUnit.SECONDS.toNanos(2)).send("shutdown");
    }

    /** Tells qemu itself to quit, whatever the guest is doing. */
    void quit(String workspaceId) throws IOException {
        Qmp.execute(sockets(workspaceId).resolve("qmp.sock"), "quit");
    }

    /** A point-in-time copy of the running VM's overlay into {@code target} (see {@link QemuLiveBackup}). */
    void liveBackup(String workspaceId, Path target) throws DriverException {
        try {
            QemuLiveBackup.copy(
                    workspaceId, guestChannel(workspaceId), sockets(workspaceId).resolve("qmp.sock"), target);
            log.atInfo()
                    .setMessage("vm_live_backup")
                    .addKeyValue("workspace", workspaceId)
                    .log();
        } catch (IOException e) {
            throw new DriverException(
                    "backup_failed",
                    "cannot back up the running VM of " + workspaceId + ": " + DriverException.reason(e),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while backing up " + workspaceId);
        }
    }

    /** The guest's channel, connecting to it for up to 30 s if it is not open yet. */
    GuestChannel guestChannel(String workspaceId) throws IOException, InterruptedException {
        return channel(workspaceId, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    /** The VM's process ended: its channel is dead. */
    void ended(String workspaceId) {
        GuestChannel channel = channels.remove(workspaceId);
        if (channel != null) {
            channel.close();
        }
    }

    private GuestChannel channel(String workspaceId, long deadline) throws IOException, InterruptedException {
        GuestChannel channel = channels.get(workspaceId);
        if (channel != null && channel.isOpen()) {
            return channel;
        }
        channel = GuestChannel.connect(
                sockets(workspaceId).resolve("guest.sock"),
                workspaceId,
                Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
                message -> log.atWarn()
                        .setMessage("guest_app_exited")
                        .addKeyValue("workspace", workspaceId)
                        .addKeyValue("message", message)
                        .log());
        channels.put(workspaceId, channel);
        return channel;
    }

    @Override
    public void close() {
        channels.values().forEach(GuestChannel::close);
        channels.clear();
    }

    private static String shortHash(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
