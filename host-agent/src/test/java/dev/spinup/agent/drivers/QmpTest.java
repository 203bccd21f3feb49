package dev.spinup.agent.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QMP client and the live backup against a real qemu: a machine with no guest ({@code -M none})
 * and the workspace's drive, which is all drive-backup needs.
 */
class QmpTest {
    @TempDir
    Path tmp;

    ProcessHandle qemu;
    Path socket;
    Path disk;

    @BeforeEach
    void startQemu() throws Exception {
        disk = tmp.resolve("disk.qcow2");
        ExternalCommand.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", disk.toString(), "64M"), null, null);
        ExternalCommand.run(List.of("qemu-io", "-c", "write -P 0x5a 0 1M", disk.toString()), null, null);
        socket = tmp.resolve("qmp.sock");
        // -daemonize: the command returns once qemu is initialised, its QMP socket listening
        Path pidFile = tmp.resolve("qemu.pid");
        ExternalCommand.run(
                List.of(
                        "qemu-system-x86_64",
                        "-M",
                        "none",
                        "-nodefaults",
                        "-display",
                        "none",
                        "-accel",
                        "tcg",
                        "-drive",
                        "id=root,file=" + disk + ",format=qcow2,if=none",
                        "-qmp",
                        "unix:" + socket + ",server=on,wait=off",
                        "-daemonize",
                        "-pidfile",
                        pidFile.toString()),
                null,
                null);
        qemu = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim()))
                .orElseThrow();
        assertTrue(Files.exists(socket), "qemu's QMP socket");
    }

    @AfterEach
    void stopQemu() {
        qemu.destroyForcibly();
    }

    @Test
    void answersAreParsedAndErrorsNameQemusClassAndDescription() throws Exception {
        try (Qmp qmp = Qmp.open(socket)) {
            Map<?, ?> status = assertInstanceOf(Map.class, qmp.execute("query-status", Map.of()));
            assertEquals("running", status.get("status"));
            assertEquals(Boolean.TRUE, status.get("running"));

            IOException e = assertThrows(IOException.class, () -> qmp.execute("no-such-command", Map.of()));
            assertTrue(e.getMessage().contains("CommandNotFound"), e.getMessage());
        }
    }

    @Test
    void aDriveBackupCopiesTheDiskAndWaitsForTheJob() throws Exception {
        Path target = tmp.resolve("backup.qcow2");

        QemuLiveBackup.driveBackup("ws-1", socket, target);

        String read = ExternalCommand.output(List.of("qemu-io", "-r", "-c", "read -P 0x5a 0 1M", target.toString()));
        assertTrue(read.contains("read 1048576/1048576"), read);
    }

    @Test
    void aBackupQemuRefusesIsABackupFailure() {
        // the target's folder does not exist: qemu answers with an error
        DriverException e = assertThrows(
                DriverException.class,
                () -> QemuLiveBackup.driveBackup("ws-1", socket, tmp.resolve("missing/backup.qcow2")));
        assertEquals("backup_failed", e.code());
    }

    @Test
    void quitClosesTheSessionAndEndsQemu() throws Exception {
        try (Qmp qmp = Qmp.open(socket)) {
            Object answer = qmp.execute("quit", Map.of());
            assertTrue(answer == null || answer instanceof Map, String.valueOf(answer));
        }
        assertFalse(qemu.onExit().get(30, TimeUnit.SECONDS).isAlive(), "qemu still runs after quit");
    }

    @Test
    void anEventThatNeverComesTimesOut() throws Exception {
        try (Qmp qmp = Qmp.open(socket)) {
            IOException e = assertThrows(
                    IOException.class, () -> qmp.awaitEvent("BLOCK_JOB_COMPLETED", Duration.ofMillis(200)));
            assertTrue(e.getMessage().contains("no BLOCK_JOB_COMPLETED within"), e.getMessage());
        }
    }
}
