package dev.spinup.agent.drivers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code qemu} driver: one qemu-system-x86_64 process per workspace, booting the image that
 * vm-base-config/build-image.sh builds (Debian cloud kernel, busybox initramfs, a read-only base
 * root shared by all workspaces) with the workspace's own qcow2 overlay on top.
 *
 * <ul>
 *   <li>Machine: {@code microvm} with virtio-mmio devices and no firmware, KVM when the CPU has
 *       vmx/svm and /dev/kvm is usable, else TCG (software emulation, 10–50x slower).</li>
 *   <li>Network: qemu user-mode networking; the app's port 8080 in the guest is forwarded from the
 *       workspace's host port. No bridge, no root.</li>
 *   <li>Guest channel: virtio-serial port {@code spinup.guest} to the guest agent (readiness,
 *       graceful shutdown, health, flush). QMP for the hypervisor: {@code drive-backup} (live snapshots), {@code quit}.</li>
 *   <li>Isolation: a separate guest kernel per workspace (under KVM, hardware virtualisation).</li>
 * </ul>
 *
 * <p>Layout: {@code <root>/<workspace id>/} holds {@code workspace.properties} (spec, port, the
 * image hash it boots), {@code disk.qcow2} (overlay on that image's base), {@code console.log},
 * {@code qemu.log} and {@code pid} while running. The two sockets live in a short directory under
 * the system temp folder, since Unix socket paths are limited to about 100 bytes.
 */
public final class QemuVmDriver extends SupervisedDriver {
    private static final Logger log = LoggerFactory.getLogger(QemuVmDriver.class);
    /** The port the guest agent starts the app on, inside the VM. */
    static final int GUEST_APP_PORT = 8080;
    private static final long GIB = 1L << 30;

    public enum Accel { AUTO, KVM, TCG }

    private final Path image;
    /** The project templates the image carries (image.properties). */
    private final Set<String> templates;
    private final Duration startTimeout;
    private final boolean kvm;
    private final Path socketRoot;
    /** Under TCG, the host's TSC rate for the guest kernel (see {@link #tscHint()}); "" under KVM. */
    private final String tscHint;
    private final Map<String, GuestChannel> channels = new ConcurrentHashMap<>();

    /**
     * @param image    a directory built by build-image.sh ({@code <images>/<hash>}); older images
     *                 beside it stay bootable for the workspaces created from them
     */
    public QemuVmDriver(Path root, Path image, String advertiseHost, int portFrom, int portTo,
                        Duration startTimeout, Accel accel) {
        super(new WorkspaceFiles(root, portFrom, portTo), advertiseHost);
        if (!Files.exists(image.resolve("image.properties"))) {
            throw new IllegalArgumentException(image + " is not a built image (no image.properties): build one with "
                    + "vm-base-config/build-image.sh");
        }
        this.image = image.toAbsolutePath();
        this.templates = templates(image);
        this.startTimeout = startTimeout;
        this.kvm = switch (accel) {
            case KVM -> true;
            case TCG -> false;
            case AUTO -> kvmUsable();
        };
        this.tscHint = kvm ? "" : tscHint();
        this.socketRoot = Path.of(System.getProperty("java.io.tmpdir"), "spinup-vm-" + shortHash(root.toAbsolutePath().toString()));
        log.info("event=qemu_driver image={} accel={}", this.image.getFileName(), kvm ? "kvm" : "tcg");
        adoptSurvivors();
    }

    private static Set<String> templates(Path image) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(image.resolve("image.properties"))) {
            p.load(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + image.resolve("image.properties"), e);
        }
        return Set.of(p.getProperty("templates", "starter").split(","));
    }

    /**
     * KVM is usable when the CPU advertises hardware virtualisation (vmx or svm) and this process
     * may open /dev/kvm read-write. The CPU check matters: some cloud VMs offer a paravirtualised
     * KVM (kvm-pvm) whose /dev/kvm opens fine but cannot run the microvm guest (the host logs
     * "INTERNAL_ERROR in batch emul" and the guest never answers); they get TCG unless
     * {@code --qemu-accel kvm} insists.
     */
    public static boolean kvmUsable() {
        Path dev = Path.of("/dev/kvm");
        if (!Files.isReadable(dev) || !Files.isWritable(dev) || !hardwareVirtualisation()) {
            return false;
        }
        try (var channel = java.nio.channels.FileChannel.open(dev, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static boolean hardwareVirtualisation() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("flags"))
                    .anyMatch(l -> java.util.Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                            .anyMatch(f -> f.equals("vmx") || f.equals("svm")));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    /**
     * Under TCG the guest's TSC runs at the host's rate, and the microvm machine has no HPET or
     * ACPI PM timer to calibrate it against, only the PIT. On a busy host that calibration fails now
     * and then ("could not calculate TSC khz") and the kernel hangs in its delay loop. Telling it the
     * rate ({@code tsc_early_khz}, from /proc/cpuinfo) skips the calibration: 0 hangs in our runs.
     */
    static String tscHint() {
        try {
            Matcher m = Pattern.compile("(?m)^cpu MHz\\s*:\\s*([0-9.]+)").matcher(Files.readString(Path.of("/proc/cpuinfo")));
            return m.find() ? "tsc_early_khz=" + Math.round(Double.parseDouble(m.group(1)) * 1000) + " " : "";
        } catch (IOException | NumberFormatException e) {
            return "";
        }
    }

    public boolean usesKvm() {
        return kvm;
    }

    @Override
    public String name() {
        return "qemu";
    }

    @Override
    public String snapshotTool() {
        return "qemu-img";
    }

    @Override
    public void provision(WorkspaceSpec spec) throws DriverException {
        lock.lock();
        try {
            String id = spec.workspaceId();
            if (files.properties(id).isPresent()) {
                return; // provisioned before (a re-sent command, or a retry after a crash)
            }
            if (!templates.contains(spec.template())) {
                throw new DriverException("unknown_template", "this host has no template '" + spec.template() + "'");
            }
            Path dir = files.dir(id);
            Path partial = dir.resolve("disk.qcow2.partial");
            try {
                Files.createDirectories(dir);
                ExternalCommand.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b",
                        image.resolve("base.qcow2").toString(), "-F", "qcow2", partial.toString(),
                        Math.max(spec.diskGb(), 1) + "G"), null, null);
                Files.move(partial, dir.resolve("disk.qcow2"), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
                Properties p = files.newRecord(spec);
                p.setProperty("image", image.getFileName().toString());
                files.store(id, p);
            } catch (IOException e) {
                throw new DriverException("io_error", "cannot provision " + id + ": " + DriverException.reason(e), e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** How the driver boots a provisioned workspace: qemu's command line, run in {@code directory}. */
    public record BootCommand(List<String> command, Path directory, int port) {}

    /** The exact command the driver boots this workspace with (benchmarks run it bare, as a baseline). */
    public BootCommand bootCommand(String workspaceId) throws DriverException {
        Properties p = files.require(workspaceId);
        try {
            prepareSockets(workspaceId);
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot prepare the sockets of " + workspaceId + ": " + DriverException.reason(e), e);
        }
        return new BootCommand(commandLine(workspaceId, p, WorkspaceFiles.port(p)), files.dir(workspaceId),
                WorkspaceFiles.port(p));
    }

    /**
     * Asks the guest agent of a running VM how it is: {@code health <state> restarts=<n>
     * root_bytes=<n> root_free=<n>} (state: starting, ready, restarting, stopping).
     */
    public String health(String workspaceId) throws DriverException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try {
            GuestChannel channel = channel(workspaceId, deadline);
            channel.send("health");
            while (System.nanoTime() < deadline) {
                String line = channel.next(Duration.ofMillis(500));
                if (line != null && line.startsWith("health ")) {
                    return line;
                }
                if ("closed".equals(line)) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new DriverException("guest_channel", "cannot ask the guest of " + workspaceId + ": " + DriverException.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while asking the guest");
        }
        throw new DriverException("guest_silent", "the guest of " + workspaceId + " did not answer a health check");
    }

    /** The qemu command line of a workspace: documented in the README ("The qemu driver"). */
    private List<String> commandLine(String workspaceId, Properties p, int port) {
        Path img = image.resolveSibling(p.getProperty("image"));
        Path sockets = socketDir(workspaceId);
        String config = "workspaceId=" + enc(workspaceId) + "&template=" + enc(p.getProperty("template"))
                + "&displayName=" + enc(p.getProperty("display_name"));
        String bind = advertiseHost.equals("127.0.0.1") || advertiseHost.equals("localhost") ? "127.0.0.1" : "0.0.0.0";
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64",
                "-name", "spinup-" + workspaceId,
                "-M", "microvm,acpi=on,rtc=on,isa-serial=on",
                "-accel", kvm ? "kvm" : "tcg", "-cpu", kvm ? "host" : "max",
                "-smp", Integer.toString(Math.max(1, Integer.parseInt(p.getProperty("vcpu")))),
                "-m", Math.max(256, Integer.parseInt(p.getProperty("ram_gb")) * 1024) + "M",
                "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                "-kernel", img.resolve("vmlinuz").toString(), "-initrd", img.resolve("initrd.img").toString(),
                "-append", "console=ttyS0 panic=-1 quiet " + tscHint + "spinup.config="
                        + Base64.getEncoder().encodeToString(config.getBytes(StandardCharsets.UTF_8)),
                "-drive", "id=root,file=disk.qcow2,format=qcow2,if=none,cache=writeback,discard=unmap",
                "-device", "virtio-blk-device,drive=root",
                "-netdev", "user,id=net0,hostfwd=tcp:" + bind + ":" + port + "-:" + GUEST_APP_PORT,
                "-device", "virtio-net-device,netdev=net0",
                "-device", "virtio-serial-device",
                "-chardev", "socket,id=guest,path=" + sockets.resolve("guest.sock") + ",server=on,wait=off",
                "-device", "virtserialport,chardev=guest,name=spinup.guest",
                "-qmp", "unix:" + sockets.resolve("qmp.sock") + ",server=on,wait=off",
                "-serial", "file:console.log"));
        return cmd;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Applies a recorded disk growth, then boots the VM. */
    @Override
    protected ProcessHandle spawn(String workspaceId, Properties p, int port) throws DriverException {
        growDisk(workspaceId, p);
        Path dir = files.dir(workspaceId);
        try {
            prepareSockets(workspaceId);
            Files.deleteIfExists(dir.resolve("console.log"));
            Process process = new ProcessBuilder(commandLine(workspaceId, p, port))
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("qemu.log").toFile()))
                    .start();
            files.writePid(workspaceId, process.pid());
            supervise(workspaceId, process.toHandle());
            log.info("event=vm_started workspace={} pid={} port={} accel={}", workspaceId, process.pid(), port,
                    kvm ? "kvm" : "tcg");
            return process.toHandle();
        } catch (IOException e) {
            throw new DriverException("spawn_failed", "cannot start qemu: " + DriverException.reason(e), e);
        }
    }

    @Override
    protected String unexpectedExitMessage(String workspaceId, ProcessHandle process) {
        return "the VM (qemu " + process.pid() + ") stopped on its own; qemu: "
                + WorkspaceFiles.tail(files.dir(workspaceId).resolve("qemu.log"), 3) + "; console: "
                + WorkspaceFiles.tail(files.dir(workspaceId).resolve("console.log"), 5);
    }

    @Override
    protected boolean isWorkspaceProcess(String workspaceId, ProcessHandle process) {
        return process.info().commandLine().map(c -> c.contains("spinup-" + workspaceId)).orElse(false);
    }

    @Override
    protected void processEnded(String workspaceId) {
        GuestChannel channel = channels.remove(workspaceId);
        if (channel != null) {
            channel.close();
        }
    }

    /** Waits until the guest agent says the app answers, then until it answers through the forwarded port. */
    @Override
    protected void awaitReady(String workspaceId, ProcessHandle process, int port) throws DriverException {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        try {
            GuestChannel channel = channel(workspaceId, deadline);
            boolean ready = false;
            while (!ready && System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw exited(workspaceId);
                }
                channel.send("status");
                for (String line; !ready && (line = channel.next(Duration.ofMillis(500))) != null; ) {
                    ready = line.equals("ready") || line.startsWith("status ready");
                    if (line.equals("closed")) {
                        throw exited(workspaceId);
                    }
                }
            }
            while (ready && System.nanoTime() < deadline) {
                if (AppProbe.answers(port)) {
                    return;
                }
                Thread.sleep(25); // the forwarded port, bounded by the start deadline
            }
        } catch (IOException e) {
            if (!process.isAlive()) {
                throw exited(workspaceId);
            }
            throw new DriverException("guest_channel", "cannot talk to the guest of " + workspaceId + ": "
                    + DriverException.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while waiting for the VM");
        }
        throw new DriverException("start_timeout", "the VM of " + workspaceId + " was not ready within "
                + startTimeout.toSeconds() + "s (" + (kvm ? "kvm" : "tcg") + "); console: "
                + WorkspaceFiles.tail(files.dir(workspaceId).resolve("console.log"), 5));
    }

    private DriverException exited(String workspaceId) {
        return new DriverException("exited", "the VM exited while starting; qemu: "
                + WorkspaceFiles.tail(files.dir(workspaceId).resolve("qemu.log"), 3) + "; console: "
                + WorkspaceFiles.tail(files.dir(workspaceId).resolve("console.log"), 5));
    }

    private GuestChannel channel(String workspaceId, long deadline) throws IOException, InterruptedException {
        GuestChannel channel = channels.get(workspaceId);
        if (channel != null && channel.isOpen()) {
            return channel;
        }
        channel = GuestChannel.connect(socketDir(workspaceId).resolve("guest.sock"), workspaceId,
                Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
                message -> log.warn("event=guest_app_exited workspace={} message=\"{}\"", workspaceId, message));
        channels.put(workspaceId, channel);
        return channel;
    }

    @Override
    public void stop(String workspaceId, int graceSeconds) throws DriverException {
        ProcessHandle process = running.get(workspaceId);
        if (process == null || !process.isAlive()) {
            files.deletePid(workspaceId);
            return;
        }
        stopping.add(workspaceId);
        if (graceSeconds > 0) {
            try {
                channel(workspaceId, System.nanoTime() + TimeUnit.SECONDS.toNanos(2)).send("shutdown");
                process.onExit().get(graceSeconds, TimeUnit.SECONDS);
            } catch (IOException | ExecutionException | TimeoutException e) {
                log.warn("event=vm_hard_stop workspace={} grace_seconds={} reason=\"{}\" console=\"{}\"", workspaceId,
                        graceSeconds, e, WorkspaceFiles.tail(files.dir(workspaceId).resolve("console.log"), 5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (process.isAlive()) {
            try {
                Qmp.execute(socketDir(workspaceId).resolve("qmp.sock"), "quit");
                process.onExit().get(5, TimeUnit.SECONDS);
            } catch (IOException | ExecutionException | TimeoutException e) {
                log.warn("event=vm_kill workspace={} reason=\"{}\"", workspaceId, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        process.destroyForcibly();
        process.onExit().join();
        running.remove(workspaceId);
        files.deletePid(workspaceId);
    }

    @Override
    public void resize(String workspaceId, int vcpu, int ramGb, int diskGb) throws DriverException {
        lock.lock();
        try {
            Properties p = files.require(workspaceId);
            long current = virtualSize(files.dir(workspaceId).resolve("disk.qcow2"));
            if ((long) diskGb * GIB < current) {
                throw new DriverException("disk_shrink", "the disk of " + workspaceId + " is " + current / GIB
                        + " GiB; it can grow but not shrink to " + diskGb + " GiB");
            }
            files.storeEnvelope(workspaceId, p, vcpu, ramGb, diskGb);
        } finally {
            lock.unlock();
        }
    }

    /** Applies a recorded disk growth before a boot; the guest grows its filesystem as it starts. */
    private void growDisk(String workspaceId, Properties p) throws DriverException {
        Path disk = files.dir(workspaceId).resolve("disk.qcow2");
        long wanted = Long.parseLong(p.getProperty("disk_gb")) * GIB;
        if (wanted > virtualSize(disk)) {
            ExternalCommand.run(List.of("qemu-img", "resize", "-q", disk.toString(), Long.toString(wanted)), null, null);
            log.info("event=vm_disk_grown workspace={} disk_gb={}", workspaceId, p.getProperty("disk_gb"));
        }
    }

    private static long virtualSize(Path disk) throws DriverException {
        return Long.parseLong(jsonField(info(disk), "virtual-size", "\\d+"));
    }

    private static String info(Path disk) throws DriverException {
        return ExternalCommand.output(List.of("qemu-img", "info", "-U", "--output=json", disk.toString()));
    }

    private static String jsonField(String json, String field, String valuePattern) throws DriverException {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":\\s*\"?(" + valuePattern + ")\"?").matcher(json);
        if (!m.find()) {
            throw new DriverException("bad_disk", "qemu-img info has no " + field + ": " + json);
        }
        return m.group(1);
    }

    /**
     * The workspace's overlay as a compressed qcow2 holding only what differs from its base image
     * (the base is named by content hash in its backing path). Always a full archive of the
     * workspace's own data: returns "". A running VM is first told to flush its filesystems (guest
     * channel {@code sync}), then copied at that point in time by a QMP {@code drive-backup}
     * (sync=top: the overlay alone, copy-before-write while the guest keeps running), so the
     * snapshot is what a power cut at that instant would leave, with the data written before it.
     */
    @Override
    public String exportDisk(String workspaceId, String snapshotId, String baseSnapshotId, OutputStream out)
            throws DriverException {
        Properties p = files.require(workspaceId);
        Path dir = files.dir(workspaceId);
        Path backup = dir.resolve("backup.qcow2.partial");
        Path export = dir.resolve("export.qcow2.partial");
        try {
            Files.deleteIfExists(backup);
            Path source = isRunning(workspaceId) ? liveBackup(workspaceId, backup) : dir.resolve("disk.qcow2");
            ExternalCommand.run(List.of("qemu-img", "convert", "-q", "-c", "-f", "qcow2", "-O", "qcow2",
                    "-B", image.resolveSibling(p.getProperty("image")).resolve("base.qcow2").toString(), "-F", "qcow2",
                    source.toString(), export.toString()), null, null);
            Files.copy(export, out);
            return "";
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot snapshot " + workspaceId + ": " + DriverException.reason(e), e);
        } finally {
            try {
                Files.deleteIfExists(export);
                Files.deleteIfExists(backup);
            } catch (IOException e) {
                log.warn("event=export_cleanup_failed workspace={} error={}", workspaceId, e.toString());
            }
        }
    }

    private Path liveBackup(String workspaceId, Path target) throws DriverException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try {
            GuestChannel channel = channel(workspaceId, deadline);
            channel.send("sync");
            String line;
            do {
                line = channel.next(Duration.ofMillis(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } while (line != null && !line.equals("synced") && !line.equals("closed"));
            if (!"synced".equals(line)) {
                throw new DriverException("guest_silent", "the guest of " + workspaceId + " did not flush its disk");
            }
            try (Qmp qmp = Qmp.open(socketDir(workspaceId).resolve("qmp.sock"))) {
                qmp.execute("drive-backup", "{\"device\":\"root\",\"job-id\":\"spinup-snapshot\",\"sync\":\"top\","
                        + "\"mode\":\"absolute-paths\",\"format\":\"qcow2\",\"target\":" + Qmp.string(target.toString()) + "}");
                String completed = qmp.awaitEvent("BLOCK_JOB_COMPLETED", Duration.ofMinutes(30));
                if (completed.contains("\"error\"")) {
                    throw new DriverException("backup_failed", "the live backup of " + workspaceId + " failed: " + completed);
                }
            }
            log.info("event=vm_live_backup workspace={}", workspaceId);
            return target;
        } catch (IOException e) {
            throw new DriverException("backup_failed", "cannot back up the running VM of " + workspaceId + ": "
                    + DriverException.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while backing up " + workspaceId);
        }
    }

    @Override
    public void importDisk(WorkspaceSpec spec, InputStream archive) throws DriverException {
        lock.lock();
        try {
            String id = spec.workspaceId();
            Path dir = files.dir(id);
            if (files.properties(id).isPresent() && Files.exists(dir.resolve("disk.qcow2"))) {
                return; // restored before
            }
            Path partial = dir.resolve("disk.qcow2.partial");
            try {
                Files.createDirectories(dir);
                Files.copy(archive, partial, StandardCopyOption.REPLACE_EXISTING);
                String backing = jsonField(info(partial), "backing-filename", "[^\"]+");
                String hash = Path.of(backing).getParent().getFileName().toString();
                Path base = image.resolveSibling(hash).resolve("base.qcow2");
                if (!Files.exists(base)) {
                    throw new DriverException("base_image_missing", "the snapshot of " + id + " overlays image " + hash
                            + ", which this host does not have (build it with that vm-base-config)");
                }
                ExternalCommand.run(List.of("qemu-img", "rebase", "-u", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2",
                        partial.toString()), null, null);
                Files.move(partial, dir.resolve("disk.qcow2"), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
                Properties p = files.newRecord(spec);
                p.setProperty("image", hash);
                files.store(id, p);
            } catch (IOException e) {
                throw new DriverException("io_error", "cannot restore " + id + ": " + DriverException.reason(e), e);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void destroy(String workspaceId) throws DriverException {
        stop(workspaceId, 0);
        try {
            WorkspaceFiles.deleteTree(files.dir(workspaceId));
            WorkspaceFiles.deleteTree(socketDir(workspaceId));
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot remove " + workspaceId + ": " + DriverException.reason(e), e);
        }
    }

    /** The VMs keep running; the next agent adopts them. */
    @Override
    public void close() {
        super.close();
        channels.values().forEach(GuestChannel::close);
        channels.clear();
    }

    /** qemu listens on both sockets: their folder must exist and hold no stale ones. */
    private void prepareSockets(String workspaceId) throws IOException {
        Files.createDirectories(socketDir(workspaceId));
        Files.deleteIfExists(socketDir(workspaceId).resolve("guest.sock"));
        Files.deleteIfExists(socketDir(workspaceId).resolve("qmp.sock"));
    }

    private Path socketDir(String workspaceId) {
        return socketRoot.resolve(workspaceId);
    }

    private static String shortHash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8))).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
