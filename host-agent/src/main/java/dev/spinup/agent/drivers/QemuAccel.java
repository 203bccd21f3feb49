package dev.spinup.agent.drivers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What this host's CPU and /dev/kvm allow qemu: hardware virtualisation or TCG, and TCG's timer hint. */
final class QemuAccel {
    private QemuAccel() {}

    /**
     * KVM is usable when the CPU advertises hardware virtualisation (vmx or svm) and this process
     * may open /dev/kvm read-write. The CPU check matters: some cloud VMs offer a paravirtualised
     * KVM (kvm-pvm) whose /dev/kvm opens fine but cannot run the microvm guest (the host logs
     * "INTERNAL_ERROR in batch emul" and the guest never answers); they get TCG unless
     * {@code --qemu-accel kvm} insists.
     */
    static boolean kvmUsable() {
        Path dev = Path.of("/dev/kvm");
        if (!Files.isReadable(dev) || !Files.isWritable(dev) || !hardwareVirtualisation()) {
            return false;
        }
        try (var channel = FileChannel.open(dev, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static boolean hardwareVirtualisation() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("flags"))
                    .anyMatch(l -> Arrays.stream(
                                    l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                            .anyMatch(f -> f.equals("vmx") || f.equals("svm")));
        } catch (IOException | UncheckedIOException e) {
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
            Matcher m = Pattern.compile("(?m)^cpu MHz\\s*:\\s*([0-9.]+)")
                    .matcher(Files.readString(Path.of("/proc/cpuinfo")));
            return m.find() ? "tsc_early_khz=" + Math.round(Double.parseDouble(m.group(1)) * 1000) + " " : "";
        } catch (IOException | NumberFormatException e) {
            return "";
        }
    }
}
