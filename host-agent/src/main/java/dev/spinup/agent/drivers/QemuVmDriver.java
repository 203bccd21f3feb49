package dev.spinup.agent.drivers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code qemu} driver: one qemu-system-x86_64 process per workspace, booting the image that
 * vm-base-config/build-image.sh builds (Debian cloud kernel, busybox initramfs, a read-only base
 * root shared by all workspaces) with the workspace's own qcow2 overlay on top. This class is the
 * VM's lifecycle (provision, boot, readiness, stop, resize, export, import, destroy); the parts
 * it is made of are each in their own class:
 *
 * <ul>
 *   <li>{@link QemuCommandLine}: the machine — {@code microvm} with virtio-mmio devices and no
 *       firmware, user-mode networking forwarding the workspace's host ports to the app's 8080
 *       and the IDE's 8081, a virtio-serial guest channel and QMP. Pure and golden-tested.</li>
 *   <li>{@link QemuAccel}: KVM when the CPU has vmx/svm and /dev/kvm is usable, else TCG (software
 *       emulation, 10–50x slower).</li>
 *   <li>{@link QemuDisks}: the overlay, through qemu-img (create, grow, export, adopt).</li>
 *   <li>{@link QemuGuests}: the guest agent's channel (readiness, health, flush, shutdown) and QMP,
 *       with {@link QemuLiveBackup} for a point-in-time copy of a running VM.</li>
 *   <li>{@link QemuPreviews}: what each VM listens on, each port forwarded from the host.</li>
 * </ul>
 *
 * <p>Layout: {@code <root>/<workspace id>/} holds {@code workspace.properties} (spec, port, the
 * image hash it boots), {@code disk.qcow2}, {@code console.log}, {@code qemu.log} and {@code pid}
 * while running. A separate guest kernel per workspace isolates them (under KVM, in hardware).
 */
public final class QemuVmDriver extends SupervisedDriver {
    private static final Logger log = LoggerFactory.getLogger(QemuVmDriver.class);

    public enum Accel {
        AUTO,
        KVM,
        TCG
    }

    private final QemuDisks disks;
    /** The project templates the image carries (image.properties). */
    private final Set<String> templates;

    private final Duration startTimeout;
    private final boolean kvm;
    /** Under TCG, the host's TSC rate for the guest kernel (see {@link QemuAccel#tscHint()}); "" under KVM. */
    private final String tscHint;

    private final QemuGuests guests;
    private final QemuPreviews previews;

    /**
     * @param image    a directory built by build-image.sh ({@code <images>/<hash>}); older images
     *                 beside it stay bootable for the workspaces created from them
     */
    public QemuVmDriver(
            Path root, Path image, String advertiseHost, int portFrom, int portTo, Duration startTimeout, Accel accel) {
        super(new WorkspaceFiles(root, portFrom, portTo), advertiseHost);
        this.templates = QemuImage.templates(image);
        this.disks = new QemuDisks(image.toAbsolutePath());
        this.startTimeout = startTimeout;
        this.kvm = switch (accel) {
            case KVM -> true;
            case TCG -> false;
            case AUTO -> QemuAccel.kvmUsable();
        };
        this.tscHint = kvm ? "" : QemuAccel.tscHint();
        this.guests = new QemuGuests(root);
        this.previews = new QemuPreviews(guests, files, lock, QemuCommandLine.bindAddress(advertiseHost));
        log.atInfo()
                .setMessage("qemu_driver")
                .addKeyValue("image", disks.currentImage())
                .addKeyValue("accel", kvm ? "kvm" : "tcg")
                .log();
        adoptSurvivors();
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
            try {
                disks.create(files.dir(id), spec.diskGb());
                files.store(id, newRecord(spec, disks.currentImage()));
            } catch (IOException e) {
                throw new DriverException("io_error", "cannot provision " + id + ": " + DriverException.reason(e), e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The record of a workspace that boots {@code image}: with a port for its IDE if the image has one. */
    private Properties newRecord(WorkspaceSpec spec, String image) throws DriverException {
        Properties p = files.newRecord(spec);
        p.setProperty("image", image);
        if (QemuImage.hasIde(disks.image(image))) {
            files.addIdePort(p);
        }
        return p;
    }

    /** How the driver boots a provisioned workspace: qemu's command line, run in {@code directory}. */
    public record BootCommand(List<String> command, Path directory, int port) {}

    /** The exact command the driver boots this workspace with (benchmarks run it bare, as a baseline). */
    public BootCommand bootCommand(String workspaceId) throws DriverException {
        Properties p = files.require(workspaceId);
        try {
            guests.prepareSockets(workspaceId);
        } catch (IOException e) {
            throw new DriverException(
                    "io_error", "cannot prepare the sockets of " + workspaceId + ": " + DriverException.reason(e), e);
        }
        return new BootCommand(
                commandLine(workspaceId, p, WorkspaceFiles.port(p)), files.dir(workspaceId), WorkspaceFiles.port(p));
    }

    /** The guest agent's account of a running VM: see {@link QemuGuests#health}. */
    public String health(String workspaceId) throws DriverException {
        return guests.health(workspaceId);
    }

    private List<String> commandLine(String workspaceId, Properties p, int port) {
        return new QemuCommandLine(
                        workspaceId,
                        p.getProperty("template"),
                        p.getProperty("display_name"),
                        Integer.parseInt(p.getProperty("vcpu")),
                        Integer.parseInt(p.getProperty("ram_gb")),
                        disks.image(p.getProperty("image")),
                        guests.sockets(workspaceId),
                        QemuCommandLine.bindAddress(advertiseHost),
                        port,
                        WorkspaceFiles.idePort(p),
                        kvm,
                        tscHint)
                .arguments();
    }

    /** Applies a recorded disk growth, then boots the VM. */
    @Override
    protected ProcessHandle spawn(String workspaceId, Properties p, int port) throws DriverException {
        growDisk(workspaceId, p);
        int idePort = WorkspaceFiles.idePort(p);
        if (idePort > 0 && !WorkspaceFiles.isFree(idePort)) { // qemu could not forward it: no VM at all
            throw new DriverException(
                    "port_in_use", "the IDE port " + idePort + " of " + workspaceId + " is in use on this host");
        }
        Path dir = files.dir(workspaceId);
        try {
            guests.prepareSockets(workspaceId);
            Files.deleteIfExists(dir.resolve("console.log"));
            Process process = new ProcessBuilder(OwnSession.command(commandLine(workspaceId, p, port)))
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            dir.resolve("qemu.log").toFile()))
                    .start();
            files.writePid(workspaceId, process.pid());
            supervise(workspaceId, process.toHandle());
            String accel = kvm ? "kvm" : "tcg";
            log.atInfo()
                    .setMessage("vm_started")
                    .addKeyValue("workspace", workspaceId)
                    .addKeyValue("pid", process.pid())
                    .addKeyValue("port", port)
                    .addKeyValue("accel", accel)
                    .log();
            return process.toHandle();
        } catch (IOException e) {
            throw new DriverException("spawn_failed", "cannot start qemu: " + DriverException.reason(e), e);
        }
    }

    @Override
    protected String unexpectedExitMessage(String workspaceId, ProcessHandle process) {
        return "the VM (qemu " + process.pid() + ") stopped on its own; " + logTails(workspaceId);
    }

    /** The last lines qemu and the guest's console wrote: what a failure message quotes. */
    private String logTails(String workspaceId) {
        return "qemu: " + WorkspaceFiles.tail(files.dir(workspaceId).resolve("qemu.log"), 3) + "; console: "
                + WorkspaceFiles.tail(files.dir(workspaceId).resolve("console.log"), 5);
    }

    @Override
    protected boolean isWorkspaceProcess(String workspaceId, ProcessHandle process) {
        return process.info()
                .commandLine()
                .map(c -> c.contains("spinup-" + workspaceId))
                .orElse(false);
    }

    @Override
    protected void processEnded(String workspaceId) {
        guests.ended(workspaceId);
        previews.ended(workspaceId);
    }

    @Override
    public Map<String, Map<Integer, String>> previewPorts() {
        return previews.scan(running.keySet().stream().filter(this::isRunning).toList());
    }

    /** Waits until the guest agent says the app answers, then until it answers through the forwarded port. */
    @Override
    protected void awaitReady(String workspaceId, ProcessHandle process, int port) throws DriverException {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        try {
            boolean ready = guests.awaitAppReady(workspaceId, process, deadline, () -> exited(workspaceId));
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
            throw new DriverException(
                    "guest_channel",
                    "cannot talk to the guest of " + workspaceId + ": " + DriverException.reason(e),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while waiting for the VM");
        }
        throw new DriverException(
                "start_timeout",
                "the VM of " + workspaceId + " was not ready within "
                        + startTimeout.toSeconds() + "s (" + (kvm ? "kvm" : "tcg") + "); console: "
                        + WorkspaceFiles.tail(files.dir(workspaceId).resolve("console.log"), 5));
    }

    private DriverException exited(String workspaceId) {
        return new DriverException("exited", "the VM exited while starting; " + logTails(workspaceId));
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
                guests.requestShutdown(workspaceId);
                process.onExit().get(graceSeconds, TimeUnit.SECONDS);
            } catch (IOException | ExecutionException | TimeoutException e) {
                log.atWarn()
                        .setMessage("vm_hard_stop")
                        .addKeyValue("workspace", workspaceId)
                        .addKeyValue("grace_seconds", graceSeconds)
                        .addKeyValue("reason", e)
                        .addKeyValue(
                                "console",
                                WorkspaceFiles.tail(files.dir(workspaceId).resolve("console.log"), 5))
                        .log();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (process.isAlive()) {
            try {
                guests.quit(workspaceId);
                process.onExit().get(5, TimeUnit.SECONDS);
            } catch (IOException | ExecutionException | TimeoutException e) {
                log.atWarn()
                        .setMessage("vm_kill")
                        .addKeyValue("workspace", workspaceId)
                        .addKeyValue("reason", e.toString())
                        .log();
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
            disks.refuseShrink(files.dir(workspaceId).resolve(QemuDisks.DISK), diskGb, workspaceId);
            files.storeEnvelope(workspaceId, p, vcpu, ramGb, diskGb);
        } finally {
            lock.unlock();
        }
    }

    /** Applies a recorded disk growth before a boot; the guest grows its filesystem as it starts. */
    private void growDisk(String workspaceId, Properties p) throws DriverException {
        long bytes = Long.parseLong(p.getProperty("disk_gb")) * QemuDisks.GIB;
        if (disks.grow(files.dir(workspaceId).resolve(QemuDisks.DISK), bytes)) {
            log.atInfo()
                    .setMessage("vm_disk_grown")
                    .addKeyValue("workspace", workspaceId)
                    .addKeyValue("disk_gb", p.getProperty("disk_gb"))
                    .log();
        }
    }

    /** The workspace's own data, full or a differential against a full this host kept (see {@link QemuDisks#exportOverlay}). */
    @Override
    public String exportDisk(String workspaceId, String snapshotId, String baseSnapshotId, OutputStream out)
            throws DriverException {
        Properties p = files.require(workspaceId);
        QemuDisks.LiveBackup live = isRunning(workspaceId) ? target -> guests.liveBackup(workspaceId, target) : null;
        return disks.exportOverlay(
                files.dir(workspaceId), p.getProperty("image"), live, snapshotId, baseSnapshotId, out);
    }

    @Override
    public void importDisk(WorkspaceSpec spec, InputStream archive) throws DriverException {
        importDisk(spec, archive, null);
    }

    /** A full export, and the differential on it if not null, as one overlay on the local image. */
    @Override
    public void importDisk(WorkspaceSpec spec, InputStream full, InputStream differential) throws DriverException {
        lock.lock();
        try {
            String id = spec.workspaceId();
            if (files.properties(id).isPresent() && Files.exists(files.dir(id).resolve(QemuDisks.DISK))) {
                return; // restored before
            }
            try {
                files.store(id, newRecord(spec, disks.restore(files.dir(id), id, full, differential)));
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
            guests.removeSockets(workspaceId);
        } catch (IOException e) {
            throw new DriverException("io_error", "cannot remove " + workspaceId + ": " + DriverException.reason(e), e);
        }
    }

    /** The VMs keep running; the next agent adopts them. */
    @Override
    public void close() {
        super.close();
        guests.close();
    }
}
