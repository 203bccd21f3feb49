package dev.spinup.agent.drivers;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs a host tool (tar, qemu-img) to completion; a non-zero exit is a {@link DriverException}. */
final class ExternalCommand {
    private ExternalCommand() {
    }

    /** Runs {@code command}; returns its standard output. */
    static String output(List<String> command) throws DriverException {
        var out = new java.io.ByteArrayOutputStream();
        run(command, null, out);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Runs {@code command} with {@code stdin} (or nothing) as its input and its output written to
     * {@code stdout} (or discarded). Fails with code {@code <tool>_failed} and the tool's own message.
     */
    static void run(List<String> command, InputStream stdin, OutputStream stdout) throws DriverException {
        String tool = command.getFirst();
        try {
            Process process = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.PIPE)
                    .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                            : ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(stdout == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.PIPE)
                    .start();
            // stderr is drained on its own thread so a chatty tool never blocks on a full pipe
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> {
                try (InputStream e = process.getErrorStream()) {
                    return new String(e.readAllBytes());
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
            int exit = process.waitFor();
            if (exit != 0) {
                throw new DriverException(tool.replace('-', '_') + "_failed", String.join(" ", command) + " exited "
                        + exit + ": " + stderr.join().trim());
            }
        } catch (IOException e) {
            throw new DriverException("io_error", tool + " failed: " + DriverException.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while running " + tool);
        }
    }
}
