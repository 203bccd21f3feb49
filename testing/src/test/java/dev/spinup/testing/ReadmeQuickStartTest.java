package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's quick start, run as written: {@code ./spinup dev} with the ports it documents, then
 * every command of "Try it" in order, pasted right after the banner (so the banner only comes once
 * a create can be placed). Then what the README promises of dev mode: a control plane killed with
 * -9 is started again by the launcher while a workspace keeps answering through its name the whole
 * time; a Ctrl-C leaves the workspace and the edge serving; the next start adopts them.
 */
class ReadmeQuickStartTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    Process dev;

    @AfterEach
    void stop() throws Exception {
        if (dev != null && dev.isAlive()) {
            dev.destroy();
            dev.waitFor(60, TimeUnit.SECONDS);
        }
        Path data = dir.resolve("data");
        AgentLauncher.stopCaddy(data.resolve("agent"));
        if (Files.isDirectory(data.resolve("agent/workspaces"))) {
            try (var pids = Files.find(data.resolve("agent/workspaces"), 2, (p, a) -> p.endsWith("pid"))) {
                pids.forEach(
                        p -> ChildProcesses.pidIn(p).flatMap(ProcessHandle::of).ifPresent(ChildProcesses::killTree));
            }
        }
        ChildProcesses.pidIn(data.resolve("postgres/postmaster.pid"))
                .flatMap(ProcessHandle::of)
                .ifPresent(ProcessHandle::destroy);
    }

    @Test
    void theQuickStartRunsAsWrittenAndDevModeSurvivesACrashAndACtrlC() throws Exception {
        List<String> tryIt = tryItCommands(Files.readString(REPO.resolve("README.md")));
        assertThat(tryIt)
                .as("the README's Try it commands")
                .hasSizeGreaterThan(4)
                .first()
                .asString()
                .contains("workspaces create");

        dev = startDev("dev-1.log");
        String ws = null;
        for (String command : tryIt) {
            Result r = sh(ws == null ? command : command.replace("<workspace id>", ws));
            assertThat(r.code).as("README command %s: %s", command, r).isZero();
            if (ws == null) {
                ws = field(r.out, "workspace");
            }
        }

        // A workspace whose app answers through its name, published so no grant is needed.
        Result made = sh("./spinup workspaces create --external-id ws-kept --user u-1 --name Kept --wait");
        assertThat(made.code).as(made.toString()).isZero();
        String kept = field(made.out, "workspace");
        assertThat(sh("./spinup workspaces share " + kept + " --wait").code).isZero();
        String name = "http://" + kept + ".workspaces.localhost/";
        Eventually.await(Duration.ofSeconds(30), "the shared app through the edge", () -> status(name) == 200);

        try (Prober prober = new Prober(name)) {
            ProcessHandle controlPlane = controlPlaneOf(dev).orElseThrow();
            controlPlane.destroyForcibly();
            Eventually.await(Duration.ofMinutes(2), "the launcher to start the control plane again", () -> {
                assertThat(dev.isAlive())
                        .as("the launcher runs: %s", read("dev-1.log"))
                        .isTrue();
                return read("dev-1.log").contains("the control plane exited")
                        && controlPlaneOf(dev)
                                .map(p -> p.pid() != controlPlane.pid())
                                .orElse(false)
                        && sh("./spinup workspaces get " + kept).code == 0;
            });
            assertThat(prober.failures())
                    .as("answers through the name while the control plane was down")
                    .isEmpty();
            assertThat(prober.probes()).isPositive();
        }

        // Ctrl-C: SIGINT to the launcher's process group.
        assertThat(new ProcessBuilder("kill", "-INT", "--", "-" + dev.pid())
                        .start()
                        .waitFor())
                .isZero();
        assertThat(dev.waitFor(90, TimeUnit.SECONDS))
                .as("dev mode stops on Ctrl-C")
                .isTrue();
        assertThat(status(name))
                .as("the workspace and the edge keep serving after a Ctrl-C")
                .isEqualTo(200);

        dev = startDev("dev-2.log");
        assertThat(sh("./spinup workspaces get " + kept).out).containsPattern("state: +active");
        assertThat(status(name)).isEqualTo(200);
    }

    /** The commands of the first sh block under "### Try it" that run something (./spinup, curl). */
    static List<String> tryItCommands(String readme) {
        String section = readme.substring(readme.indexOf("### Try it"));
        Matcher block = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL).matcher(section);
        assertThat(block.find()).as("a sh block under Try it").isTrue();
        List<String> commands = new ArrayList<>();
        for (String line : block.group(1).split("\n")) {
            String l = line.strip();
            if (l.startsWith("./spinup ") || l.startsWith("curl ")) {
                commands.add(l);
            }
        }
        return commands;
    }

    private Process startDev(String log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("setsid", "./spinup", "dev")
                .directory(REPO.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(log).toFile());
        pb.environment().putAll(env());
        pb.environment().remove("DATABASE_URL");
        pb.environment().remove("SPINUP_S3_ENDPOINT");
        Process p = pb.start();
        Eventually.await(Duration.ofMinutes(6), "./spinup dev to print its banner", () -> {
            assertThat(p.isAlive()).as("./spinup dev runs: %s", read(log)).isTrue();
            return read(log).contains("Try it (the spinup CLI");
        });
        return p;
    }

    private Map<String, String> env() {
        return Map.of("SPINUP_DATA_DIR", dir.resolve("data").toString(), "SPINUP_NO_BUILD", "1");
    }

    private static Optional<ProcessHandle> controlPlaneOf(Process launcher) {
        return launcher.descendants()
                .filter(p -> p.info()
                        .arguments()
                        .map(a -> List.of(a).contains("dev.spinup.dev.Main"))
                        .orElse(false))
                .findFirst();
    }

    record Result(int code, String out, String err) {}

    private Result sh(String command) {
        try {
            Path out = Files.createTempFile(dir, "cmd", ".out");
            Path err = Files.createTempFile(dir, "cmd", ".err");
            ProcessBuilder pb = new ProcessBuilder("bash", "-c", command)
                    .directory(REPO.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().putAll(env());
            Process p = pb.start();
            if (!p.waitFor(3, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not end within 3 min");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String field(String out, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + ": +(\\S+)$").matcher(out);
        assertThat(m.find()).as("%s in %s", key, out).isTrue();
        return m.group(1);
    }

    /** The status of GET {@code url} through the edge the README documents (127.0.0.1:8080); 0 for none. */
    private static int status(String url) {
        try {
            return HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/"))
                                    .header("Host", URI.create(url).getHost())
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** Asks the name again and again (every 100 ms) until closed, and keeps what did not answer 200. */
    private static final class Prober implements AutoCloseable {
        private final AtomicInteger probes = new AtomicInteger();
        private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final AtomicReference<Boolean> running = new AtomicReference<>(true);
        private final Thread thread;

        Prober(String url) {
            thread = Thread.ofPlatform().daemon().start(() -> {
                while (running.get()) {
                    int s = status(url);
                    probes.incrementAndGet();
                    if (s != 200) {
                        failures.add(java.time.Instant.now() + ": " + s);
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(
                            Duration.ofMillis(100).toNanos()); // probe pacing
                }
            });
        }

        int probes() {
            return probes.get();
        }

        List<String> failures() {
            return List.copyOf(failures);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    private String read(String log) {
        try {
            return Files.readString(dir.resolve(log));
        } catch (IOException e) {
            return "";
        }
    }
}
