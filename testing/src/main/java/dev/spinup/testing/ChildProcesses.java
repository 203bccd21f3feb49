package dev.spinup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Runs a tool of the test harness (npm, node, a build script) to its end, bounded in time. */
public final class ChildProcesses {
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

    /** The pid a file holds (a workspace's pid, caddy.pid, postmaster.pid's first line), if it holds one. */
    static java.util.Optional<Long> pidIn(Path file) {
        try {
            return java.util.Optional.of(
                    Long.parseLong(Files.readAllLines(file).getFirst().strip()));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** A process and everything it started (a workspace's entrypoint and its app). */
    static void killTree(ProcessHandle p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    /** A module's own jar in its target directory ({@code ../cli/target}, "spinup-cli"). */
    static Path moduleJar(Path target, String artifact) {
        try (java.util.stream.Stream<Path> files = Files.list(target)) {
            return files.filter(f -> f.getFileName().toString().matches(artifact + "-[0-9].*\\.jar")
                            && !f.getFileName().toString().contains("tests"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no " + artifact + " jar in " + target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The host agent's Main in a JVM of its own, on the host-agent module's built jar and lib/. */
    public static java.util.List<String> agentCommand() {
        Path module = Path.of("..", "host-agent", "target").toAbsolutePath().normalize();
        return java.util.List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                moduleJar(module, "spinup-host-agent") + ":" + module.resolve("lib") + "/*",
                "dev.spinup.agent.Main");
    }
}
