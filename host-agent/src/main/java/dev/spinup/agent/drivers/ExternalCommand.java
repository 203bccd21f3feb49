package dev.spinup.agent.drivers;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a host tool (tar, qemu-img) to completion; a non-zero exit is a {@link DriverException}.
 * Nothing waits on a tool for ever: past its timeout it is killed (with any children) and the call
 * fails with code {@code <tool>_timeout}.
 */
final class ExternalCommand {
    /** A tool that moves a whole disk (an archive, a conversion): as long as a snapshot step may take. */
    static final Duration LONG = Duration.ofMinutes(30);
    /** A tool that only looks or creates a small file (qemu-img info, create). */
    static final Duration SHORT = Duration.ofMinutes(1);

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "external-command-watchdog");
        t.setDaemon(true);
        return t;
    });

    private ExternalCommand() {}

    /** Runs {@code command}, a quick one; returns its standard output. */
    static String output(List<String> command) throws DriverException {
        var out = new java.io.ByteArrayOutputStream();
        run(command, null, out, SHORT);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** {@link #run(List, InputStream, OutputStream, Duration)} with the timeout for a tool that moves a disk. */
    static void run(List<String> command, InputStream stdin, OutputStream stdout) throws DriverException {
        run(command, stdin, stdout, LONG);
    }

    /**
     * Runs {@code command} with {@code stdin} (or nothing) as its input and its output written to
     * {@code stdout} (or discarded). Fails with code {@code <tool>_failed} and the tool's own message,
     * or {@code <tool>_timeout} when it ran past {@code timeout}.
     */
    static void run(List<String> command, InputStream stdin, OutputStream stdout, Duration timeout)
            throws DriverException {
        String tool = command.getFirst();
        AtomicBoolean killed = new AtomicBoolean();
        ScheduledFuture<?> watchdog = null;
        try {
            Process process = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.PIPE)
                    .redirectInput(
                            stdin == null
                                    ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                                    : ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(stdout == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.PIPE)
                    .start();
            // Killing it also ends the pipes below, so no read or write here outlives the timeout.
            watchdog = WATCHDOG.schedule(
                    () -> {
                        killed.set(true);
                        process.descendants().forEach(ProcessHandle::destroyForcibly);
                        process.destroyForcibly();
                    },
                    timeout.toMillis(),
                    TimeUnit.MILLISECONDS);
            // stderr is drained on its own thread so a chatty tool never blocks on a full pipe
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> {
                try (InputStream e = process.getErrorStream()) {
                    return new String(e.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                } catch (IOException x) {
                    return "";
                }
            });
            if (stdin != null) {
                try (OutputStream in = process.getOutputStream()) {
                    stdin.transferTo(in);
                }
            }
            if (stdout != null) {
                try (InputStream out = process.getInputStream()) {
                    out.transferTo(stdout);
                }
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                killed.set(true);
            }
            if (killed.get()) {
                throw new DriverException(
                        tool.replace('-', '_') + "_timeout",
                        String.join(" ", command) + " ran longer than " + timeout.toSeconds() + "s and was killed");
            }
            int exit = process.exitValue();
            if (exit != 0) {
                throw new DriverException(
                        tool.replace('-', '_') + "_failed",
                        String.join(" ", command) + " exited " + exit + ": "
                                + stderr.join().trim());
            }
        } catch (IOException e) {
            if (killed.get()) {
                throw new DriverException(
                        tool.replace('-', '_') + "_timeout",
                        String.join(" ", command) + " ran longer than " + timeout.toSeconds() + "s and was killed");
            }
            throw new DriverException("io_error", tool + " failed: " + DriverException.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while running " + tool);
        } finally {
            if (watchdog != null) {
                watchdog.cancel(false);
            }
        }
    }
}
