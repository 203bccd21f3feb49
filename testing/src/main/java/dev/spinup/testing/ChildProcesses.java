package dev.spinup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Runs a tool of the test harness (npm, node, a build script) to its end, bounded in time. */
final class ChildProcesses {
    private ChildProcesses() {}

    /**
     * Runs {@code command} until it exits or {@code timeout} passes (then it is killed, with its
     * children); returns its standard output. A failure says what it printed on standard error,
     * unless the caller sent that elsewhere (e.g. to show a long build's progress).
     */
    static String run(ProcessBuilder command, Duration timeout) {
        try {
            Path out = Files.createTempFile("spinup-child", ".out");
            Path err = Files.createTempFile("spinup-child", ".err");
            try {
                command.redirectOutput(out.toFile());
                if (command.redirectError() == ProcessBuilder.Redirect.PIPE) {
                    command.redirectError(err.toFile());
                }
                Process p = command.start();
                if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor();
                    throw new IllegalStateException(String.join(" ", command.command()) + " ran longer than "
                            + timeout.toSeconds() + " s: " + Files.readString(err));
                }
                if (p.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", command.command()) + " exited " + p.exitValue()
                            + ": " + Files.readString(err));
                }
                return Files.readString(out);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
