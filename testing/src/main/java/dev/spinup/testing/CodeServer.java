package dev.spinup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The workspace IDE for tests: code-server built by the checkout's
 * {@code vm-base-config/build-code-server.sh} (cached by content hash) and started by the
 * guest's own {@code guest/ide/start-ide.sh}, as a workspace starts it.
 */
public final class CodeServer {
    private static Path built;

    private CodeServer() {}

    /** Builds code-server once per machine and change (minutes the first time, then instant). */
    public static synchronized Path build() {
        if (built == null) {
            Path script = Checkout.root().resolve("vm-base-config/build-code-server.sh");
            String out = ChildProcesses.run(
                    new ProcessBuilder("bash", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT),
                    Duration.ofMinutes(20));
            String[] lines = out.trim().split("\n", -1);
            built = Path.of(lines[lines.length - 1]);
        }
        return built;
    }

    /** Starts the IDE of the workspace in {@code workspaceDir} (its project in {@code project/}) on 127.0.0.1:{@code port}. */
    public static Process start(Path workspaceDir, int port, Path log) {
        return start(workspaceDir, port, log, null);
    }

    /**
     * As {@link #start(Path, int, Path)}, in a session of its own as the guest entrypoint starts it,
     * watching {@code workspace} (null: none) as the entrypoint it belongs to.
     */
    public static Process start(Path workspaceDir, int port, Path log, ProcessHandle workspace) {
        String script =
                Checkout.root().resolve("vm-base-config/guest/ide/start-ide.sh").toString();
        ProcessBuilder b = new ProcessBuilder(
                        workspace == null ? List.of("sh", script) : List.of("setsid", "sh", script))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        if (workspace != null) {
            b.environment().put("SPINUP_WORKSPACE_PID", Long.toString(workspace.pid()));
        }
        b.environment().put("SPINUP_CODE_SERVER", build().toString());
        b.environment().put("SPINUP_WORKSPACE_DIR", workspaceDir.toString());
        b.environment().put("SPINUP_IDE_PORT", Integer.toString(port));
        try {
            return b.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the IDE at {@code endpoint} (http://host:port) answers its health check; fails after {@code within}. */
    public static void awaitReady(String endpoint, Duration within) {
        awaitReady(endpoint, within, null);
    }

    /** As {@link #awaitReady(String, Duration)}, failing at once if {@code process} (the IDE's, or null) exits meanwhile. */
    public static void awaitReady(String endpoint, Duration within, ProcessHandle process) {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1) // code-server does not take h2c upgrades
                .build();
        Eventually.await(within, "the IDE at " + endpoint + " to answer", () -> {
            if (process != null && !process.isAlive()) {
                throw new AssertionError("code-server exited before it answered at " + endpoint);
            }
            try {
                return http.send(
                                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(endpoint + "/healthz"))
                                                .timeout(Duration.ofSeconds(5))
                                                .build(),
                                        java.net.http.HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200;
            } catch (IOException notYet) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    /** The resident memory of {@code process} and all its descendants, in MiB (from /proc). */
    public static long residentMib(ProcessHandle process) {
        return residentMib(java.util.stream.Stream.concat(java.util.stream.Stream.of(process), process.descendants())
                .toList());
    }

    /** The resident memory of {@code processes} together, in MiB (from /proc). */
    public static long residentMib(java.util.Collection<ProcessHandle> processes) {
        return processes.stream().mapToLong(CodeServer::rssKib).sum() / 1024;
    }

    /** Whether {@code process} is part of a code-server (its wrapper, server, extension host, terminals' host, …). */
    public static boolean isCodeServer(ProcessHandle process) {
        return process.info()
                .commandLine()
                .map(c -> c.contains("/code-server/"))
                .orElse(false);
    }

    private static long rssKib(ProcessHandle p) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone meanwhile
        }
        return 0;
    }
}
