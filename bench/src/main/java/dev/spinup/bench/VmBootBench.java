package dev.spinup.bench;

import dev.spinup.agent.drivers.AppProbe;
import dev.spinup.agent.drivers.DriverException;
import dev.spinup.agent.drivers.QemuImage;
import dev.spinup.agent.drivers.QemuVmDriver;
import dev.spinup.agent.drivers.WorkspaceSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Boot-to-ready of a workspace VM, three ways, same image, same flags, same run:
 * <ol>
 * <li>bare qemu: the driver's own command line run directly, until the app answers on the
 *     forwarded port (the baseline: what the VM itself costs);
 * <li>the qemu driver: provision + start (overlay, guest-channel readiness, port check);
 * <li>the whole control plane: CreateWorkspace accepted → operation SUCCEEDED (placement, job,
 *     agent stream, driver, routes).
 * </ol>
 * Each boot is a first boot of a fresh overlay. Under TCG (no usable /dev/kvm) all three are
 * dominated by software emulation; the ratios are what the control plane adds.
 */
@Command(
        name = "vm-boot",
        mixinStandardHelpOptions = true,
        description = "qemu driver boot-to-ready and create→active, next to bare qemu booting the same image.")
final class VmBootBench implements Callable<Integer> {
    @Option(names = "--quick", description = "Two boots of each kind (CI).")
    boolean quick;

    @Mixin
    BenchPostgres pg;

    @Option(
            names = "--results",
            defaultValue = "bench/results",
            description = "Where to write vm-boot.json (default: ${DEFAULT-VALUE}).")
    Path results;

    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(3);

    @Override
    public Integer call() throws Exception {
        int boots = quick ? 2 : 5;
        Path image = QemuImage.buildFromCheckout();
        Path dir = ScratchDir.create("vm");
        List<Long> bare = new ArrayList<>();
        List<Long> driver = new ArrayList<>();
        boolean kvm;
        try (QemuVmDriver vms = new QemuVmDriver(
                dir.resolve("driver"), image, "127.0.0.1", 31000, 31099, BOOT_TIMEOUT, QemuVmDriver.Accel.AUTO)) {
            kvm = vms.usesKvm();
            for (int i = 0; i < boots; i++) {
                bare.add(bareBoot(vms));
                driver.add(driverBoot(vms));
            }
        }
        List<Long> controlPlane = controlPlaneBoots(dir, image, boots);

        Stats bareStats = Stats.ofNanos(bare);
        Stats driverStats = Stats.ofNanos(driver);
        Stats cpStats = Stats.ofNanos(controlPlane);
        System.out.println();
        System.out.println("VM boot-to-ready, qemu microvm, " + (kvm ? "KVM" : "TCG (software emulation)") + ", image "
                + image.getFileName());
        System.out.println("machine: " + Stats.machine() + (quick ? "  (quick mode)" : ""));
        row("bare qemu, same image and flags -> app answers", bareStats);
        row("qemu driver: provision + start -> ready", driverStats);
        row("control plane: CreateWorkspace -> SUCCEEDED", cpStats);
        System.out.printf(
                Locale.ROOT,
                "ratio p50 driver : bare  %.2f   control plane : bare  %.2f%n",
                driverStats.p50() / bareStats.p50(),
                cpStats.p50() / bareStats.p50());
        Files.createDirectories(results);
        Path out = results.resolve("vm-boot.json");
        Files.writeString(
                out,
                String.format(
                        Locale.ROOT,
                        """
                {
                  "scenario": "vm-boot",
                  "machine": "%s",
                  "accel": "%s",
                  "quick": %s,
                  "bare_qemu": %s,
                  "driver": %s,
                  "control_plane": %s,
                  "ratio_driver_p50": %.3f,
                  "ratio_control_plane_p50": %.3f
                }
                """,
                        Stats.machine(),
                        kvm ? "kvm" : "tcg",
                        quick,
                        bareStats.json(),
                        driverStats.json(),
                        cpStats.json(),
                        driverStats.p50() / bareStats.p50(),
                        cpStats.p50() / bareStats.p50()));
        System.out.println("written to " + out);
        return 0;
    }

    private static void row(String what, Stats s) {
        System.out.printf(
                Locale.ROOT,
                "%-50s n=%d  p50 %8.0f ms  p90 %8.0f ms  max %8.0f ms%n",
                what,
                s.n(),
                s.p50(),
                s.p90(),
                s.max());
    }

    private static WorkspaceSpec spec() {
        return new WorkspaceSpec(UUID.randomUUID().toString(), "starter", "bench", 1, 1, 5);
    }

    /** The driver's command line, run by hand in the workspace's directory, until the app answers. */
    private static long bareBoot(QemuVmDriver vms) throws Exception {
        WorkspaceSpec spec = spec();
        vms.provision(spec);
        QemuVmDriver.BootCommand boot = vms.bootCommand(spec.workspaceId());
        long started = System.nanoTime();
        Process qemu = new ProcessBuilder(boot.command())
                .directory(boot.directory().toFile())
                .redirectErrorStream(true)
                .redirectOutput(boot.directory().resolve("bare-qemu.log").toFile())
                .start();
        try {
            await(() -> AppProbe.answers(boot.port()) || !qemu.isAlive(), "bare qemu to answer on " + boot.port());
            if (!qemu.isAlive()) {
                throw new IllegalStateException(
                        "bare qemu exited: " + Files.readString(boot.directory().resolve("bare-qemu.log")));
            }
            return System.nanoTime() - started;
        } finally {
            qemu.destroyForcibly();
            qemu.waitFor(30, TimeUnit.SECONDS);
            vms.destroy(spec.workspaceId());
        }
    }

    private static long driverBoot(QemuVmDriver vms) throws DriverException {
        WorkspaceSpec spec = spec();
        long started = System.nanoTime();
        vms.provision(spec);
        vms.start(spec.workspaceId());
        long took = System.nanoTime() - started;
        vms.destroy(spec.workspaceId());
        return took;
    }

    private List<Long> controlPlaneBoots(Path dir, Path image, int boots) throws Exception {
        List<Long> nanos = new ArrayList<>();
        try (BenchPostgres.Scratch scratch =
                        pg.create("spinup_bench_vm_" + ProcessHandle.current().pid());
                BenchCluster cluster = new BenchCluster(
                        dir.resolve("cluster"),
                        scratch.url(),
                        pg.user,
                        1,
                        hostDir -> new QemuVmDriver(
                                hostDir.resolve("workspaces"),
                                image,
                                "127.0.0.1",
                                31100,
                                31199,
                                BOOT_TIMEOUT,
                                QemuVmDriver.Accel.AUTO))) {
            for (int i = 0; i < boots; i++) {
                nanos.add(cluster.createToActiveThenDelete(BOOT_TIMEOUT));
            }
        }
        return nanos;
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }
}
