package dev.spinup.agent.drivers;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A point-in-time copy of a running VM's overlay. The guest is first told to flush its
 * filesystems (guest channel {@code sync}), then QMP {@code drive-backup} with {@code sync=top}
 * copies the overlay alone, copy-before-write while the guest keeps running: the copy is what a
 * power cut at that instant would leave, with the data written before it.
 */
final class QemuLiveBackup {
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration BACKUP_TIMEOUT = Duration.ofMinutes(30);

    private QemuLiveBackup() {}

    static void copy(String workspaceId, GuestChannel guest, Path qmpSocket, Path target)
            throws IOException, InterruptedException, DriverException {
        flush(workspaceId, guest);
        driveBackup(workspaceId, qmpSocket, target);
    }

    /**
     * Has the guest write its dirty pages and journal to the disk. Holds the channel while it
     * waits, as every question on it does: another asker (the preview scan's {@code ports}) would
     * otherwise read the {@code synced} answer and drop it as not its own.
     */
    static void flush(String workspaceId, GuestChannel guest)
            throws IOException, InterruptedException, DriverException {
        long deadline = System.nanoTime() + FLUSH_TIMEOUT.toNanos();
        String line;
        synchronized (guest) {
            guest.send("sync");
            do {
                line = guest.next(Duration.ofMillis(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } while (line != null && !line.equals("synced") && !line.equals("closed"));
        }
        if (!"synced".equals(line)) {
            throw new DriverException("guest_silent", "the guest of " + workspaceId + " did not flush its disk");
        }
    }

    /** Copies drive {@code root}'s top layer as it is now into {@code target}, and waits for the copy to finish. */
    static void driveBackup(String workspaceId, Path qmpSocket, Path target) throws DriverException {
        try (Qmp qmp = Qmp.open(qmpSocket)) {
            qmp.execute(
                    "drive-backup",
                    Map.of(
                            "device",
                            "root",
                            "job-id",
                            "spinup-snapshot",
                            "sync",
                            "top",
                            "mode",
                            "absolute-paths",
                            "format",
                            "qcow2",
                            "target",
                            target.toString()));
            Map<?, ?> completed = qmp.awaitEvent("BLOCK_JOB_COMPLETED", BACKUP_TIMEOUT);
            if (completed.get("error") != null) {
                throw new DriverException(
                        "backup_failed", "the live backup of " + workspaceId + " failed: " + completed.get("error"));
            }
        } catch (IOException e) {
            throw new DriverException(
                    "backup_failed",
                    "cannot back up the running VM of " + workspaceId + ": " + DriverException.reason(e),
                    e);
        }
    }
}
