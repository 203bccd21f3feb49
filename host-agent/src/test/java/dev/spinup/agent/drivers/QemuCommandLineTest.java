package dev.spinup.agent.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pins the qemu command line: a change to it is a change to every VM, and shows up here as a diff
 * against {@code qemu/command-line.golden} (one argument per line) to be read and accepted.
 */
class QemuCommandLineTest {
    @Test
    void aTcgWorkspaceBootsWithTheGoldenCommandLine() throws IOException {
        QemuCommandLine machine = new QemuCommandLine(
                "ws-0123",
                "starter",
                "My app & co",
                2,
                1,
                Path.of("/images/ab12cd"),
                Path.of("/tmp/spinup-vm-0f0f/ws-0123"),
                "127.0.0.1",
                31001,
                31002,
                false,
                "tsc_early_khz=2400000 ");

        assertEquals(golden("qemu/command-line.golden"), String.join("\n", machine.arguments()) + "\n");
    }

    @Test
    void theGuestLearnsItsWorkspaceFromTheKernelCommandLine() {
        List<String> args = new QemuCommandLine(
                        "ws-9",
                        "vite_react",
                        "Ünïcode ✓",
                        1,
                        1,
                        Path.of("/i/h"),
                        Path.of("/s"),
                        "0.0.0.0",
                        30000,
                        0,
                        true,
                        "")
                .arguments();
        String append = args.get(args.indexOf("-append") + 1);
        String config = new String(
                Base64.getDecoder().decode(append.substring(append.indexOf("spinup.config=") + 14)),
                StandardCharsets.UTF_8);

        assertEquals("workspaceId=ws-9&template=vite_react&displayName=%C3%9Cn%C3%AFcode+%E2%9C%93", config);
        assertEquals("kvm", args.get(args.indexOf("-accel") + 1));
        assertEquals("host", args.get(args.indexOf("-cpu") + 1));
        assertEquals("1024M", args.get(args.indexOf("-m") + 1));
        assertEquals(
                "user,id=net0,hostfwd=tcp:0.0.0.0:30000-:8080",
                args.get(args.indexOf("-netdev") + 1),
                "an image without an IDE forwards the app's port only");
    }

    @Test
    void theAppPortListensOnLoopbackOnlyWhenTheHostAdvertisesLoopback() {
        assertEquals("127.0.0.1", QemuCommandLine.bindAddress("localhost"));
        assertEquals("127.0.0.1", QemuCommandLine.bindAddress("127.0.0.1"));
        assertEquals("0.0.0.0", QemuCommandLine.bindAddress("10.0.0.7"));
    }

    private static String golden(String resource) throws IOException {
        try (InputStream in = QemuCommandLineTest.class.getClassLoader().getResourceAsStream(resource)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
