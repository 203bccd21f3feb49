package dev.spinup.agent.drivers;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

/**
 * The qemu command line of a workspace, documented in the README ("The qemu driver"). Pure: the
 * same machine gives the same arguments, and {@code QemuCommandLineTest} pins them.
 *
 * @param image      the image directory the workspace boots (kernel and initramfs)
 * @param sockets    where qemu listens for the guest channel and QMP
 * @param bind       the host address the app's (and the IDE's) forwarded ports listen on
 * @param idePort    the host port forwarded to the IDE in the guest; 0: the image has no IDE
 * @param tscHint    kernel arguments that skip TSC calibration under TCG ("" under KVM)
 */
record QemuCommandLine(
        String workspaceId,
        String template,
        String displayName,
        int vcpu,
        int ramGb,
        Path image,
        Path sockets,
        String bind,
        int port,
        int idePort,
        boolean kvm,
        String tscHint) {
    /** The port the guest agent starts the app on, inside the VM. */
    static final int GUEST_APP_PORT = 8080;
    /** The port the guest agent starts the IDE on, inside the VM (guest-agent.js). */
    static final int GUEST_IDE_PORT = 8081;

    List<String> arguments() {
        String config =
                "workspaceId=" + enc(workspaceId) + "&template=" + enc(template) + "&displayName=" + enc(displayName);
        return List.of(
                "qemu-system-x86_64",
                "-name",
                "spinup-" + workspaceId,
                "-M",
                "microvm,acpi=on,rtc=on,isa-serial=on",
                "-accel",
                kvm ? "kvm" : "tcg",
                "-cpu",
                kvm ? "host" : "max",
                "-smp",
                Integer.toString(Math.max(1, vcpu)),
                "-m",
                Math.max(256, ramGb * 1024) + "M",
                "-nodefaults",
                "-no-user-config",
                "-nographic",
                "-no-reboot",
                "-kernel",
                image.resolve("vmlinuz").toString(),
                "-initrd",
                image.resolve("initrd.img").toString(),
                "-append",
                "console=ttyS0 panic=-1 quiet " + tscHint + "spinup.config="
                        + Base64.getEncoder().encodeToString(config.getBytes(StandardCharsets.UTF_8)),
                "-drive",
                "id=root,file=disk.qcow2,format=qcow2,if=none,cache=writeback,discard=unmap",
                "-device",
                "virtio-blk-device,drive=root",
                "-netdev",
                "user,id=net0,hostfwd=tcp:" + bind + ":" + port + "-:" + GUEST_APP_PORT
                        + (idePort > 0 ? ",hostfwd=tcp:" + bind + ":" + idePort + "-:" + GUEST_IDE_PORT : ""),
                "-device",
                "virtio-net-device,netdev=net0",
                "-device",
                "virtio-serial-device",
                "-chardev",
                "socket,id=guest,path=" + sockets.resolve("guest.sock") + ",server=on,wait=off",
                "-device",
                "virtserialport,chardev=guest,name=spinup.guest",
                "-qmp",
                "unix:" + sockets.resolve("qmp.sock") + ",server=on,wait=off",
                "-serial",
                "file:console.log");
    }

    /** Where the forwarded app port listens: loopback when the host advertises loopback, else every address. */
    static String bindAddress(String advertiseHost) {
        return advertiseHost.equals("127.0.0.1") || advertiseHost.equals("localhost") ? "127.0.0.1" : "0.0.0.0";
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
