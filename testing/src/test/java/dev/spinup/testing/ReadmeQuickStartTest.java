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
 * time; a Ctrl-C leaves the workspace and the edge serving; the next start adopts them. Then every
 * other block the README marks "run by ReadmeQuickStartTest", in its order (the CLI examples, a
 * second replica, a second host), each as one bash script; the second host ends up healthy and
 * connected, and the second replica serves it.
 */
class ReadmeQuickStartTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    Process dev;

    /** The README blocks' shells, each in a process group of its own (what they start in the background). */
    final List<Process> blocks = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Process block : blocks) {
            new ProcessBuilder("kill", "--", "-" + block.pid()).start().waitFor();
        }
        if (dev != null && dev.isAlive()) {
            dev.destroy();
            dev.waitFor(60, TimeUnit.SECONDS);
        }
        Path data = dir.resolve("data");
        for (String host : List.of("agent", "host-2")) {
            AgentLauncher.stopCaddy(data.resolve(host));
            if (Files.isDirectory(data.resolve(host + "/workspaces"))) {
                try (var pids = Files.find(data.resolve(host + "/workspaces"), 2, (p, a) -> p.endsWith("pid"))) {
                    pids.forEach(p ->
                            ChildProcesses.pidIn(p).flatMap(ProcessHandle::of).ifPresent(ChildProcesses::killTree));
                }
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
                .as("dev mode stops on Ctrl-C: %s", read("dev-1.log"))
                .isTrue();
        assertThat(status(name))
                .as("the workspace and the edge keep serving after a Ctrl-C")
                .isEqualTo(200);

        dev = startDev("dev-2.log");
        assertThat(sh("./spinup workspaces get " + kept).out).containsPattern("state: +active");
        assertThat(status(name)).isEqualTo(200);

        String readme = Files.readString(REPO.resolve("README.md"));
        List<String> scripts = markedBlocks(readme);
        assertThat(scripts)
                .as("the README's other runnable blocks: CLI examples, a second replica, a second host")
                .hasSize(3);
        // As after a rebuild: the CLI's class-data archive no longer matches its jar and is remade,
        // which must not put a word into the commands' output (--json goes to a parser).
        Path cliJar = ChildProcesses.moduleJar(REPO.resolve("cli/target"), "spinup-cli");
        Files.setLastModifiedTime(cliJar, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
        for (String script : scripts) {
            Result r = block(script.replace("<workspace id>", ws).replace(".spinup/", "$SPINUP_DATA_DIR/"));
            assertThat(r.code).as("README block\n%s\n%s", script, r).isZero();
            assertThat(r.out + r.err).as("no JVM log lines").doesNotContainPattern("(?m)^\\[[0-9.]+s]\\[");
        }
        Result hosts = sh("./spinup --server localhost:8444 fleet hosts");
        assertThat(hosts.out)
                .as("the second replica sees both hosts healthy")
                .containsPattern("healthy +yes .*host-2\\.localhost")
                .containsPattern("healthy +yes .*local-");
        assertThat(sh("./spinup workspaces get " + ws).out)
                .as("the CLI examples deleted the first workspace")
                .containsPattern("state: +deleted");

        // serve plus a standalone agent: a workspace on the second host keeps answering through that
        // host's edge while both control planes are killed with -9 (the launcher starts dev's again).
        String localHost = Files.readString(dir.resolve("data/agent/host-id")).strip();
        assertThat(sh("./spinup fleet drain " + localHost).code).isZero();
        Result second = sh("./spinup workspaces create --external-id ws-h2 --user u-1 --name Second --wait");
        assertThat(second.code).as(second.toString()).isZero();
        String onSecond = field(second.out, "workspace");
        assertThat(sh("./spinup workspaces share " + onSecond + " --wait").code).isZero();
        String secondName = "http://" + onSecond + ".workspaces.localhost/";
        Eventually.await(
                Duration.ofSeconds(30),
                "the app through the second host's edge",
                () -> status(8081, secondName) == 200);
        try (Prober prober = new Prober(8081, secondName)) {
            ProcessHandle replica = ProcessHandle.allProcesses()
                    .filter(p -> p.info()
                            .arguments()
                            .map(a -> List.of(a).contains("serve") && List.of(a).contains("8444"))
                            .orElse(false))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("the README's second replica runs"));
            ProcessHandle controlPlane = controlPlaneOf(dev).orElseThrow();
            replica.destroyForcibly();
            controlPlane.destroyForcibly();
            Eventually.await(Duration.ofMinutes(2), "dev's control plane back, the second host connected", () -> {
                Result hostsNow = sh("./spinup fleet hosts");
                return hostsNow.code == 0 && hostsNow.out.matches("(?s).*healthy +yes .*host-2\\.localhost.*");
            });
            assertThat(prober.failures())
                    .as("answers through the second host's edge with both control planes killed")
                    .isEmpty();
            assertThat(prober.probes()).isPositive();
        }
    }

    /**
     * Every sh block after a {@code <!-- run by ReadmeQuickStartTest} comment outside "Try it", in
     * README order.
     */
    static List<String> markedBlocks(String readme) {
        Matcher block = Pattern.compile("<!-- run by ReadmeQuickStartTest[^>]*-->\n```sh\n(.*?)```", Pattern.DOTALL)
                .matcher(readme);
        List<String> blocks = new ArrayList<>();
        while (block.find()) {
            blocks.add(block.group(1));
        }
        return blocks;
    }

    /** A README block as one script ({@code bash -e}) in a process group of its own. */
    private Result block(String script) {
        return run(List.of("setsid", "bash", "-e", "-c", script), true);
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
        // As from a terminal: SIGINT at its default, whatever this JVM inherited (a build started in
        // the background ignores it, and a shell cannot trap a signal ignored when it starts).
        ProcessBuilder pb = new ProcessBuilder("env", "--default-signal=INT", "setsid", "./spinup", "dev")
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
        return run(List.of("bash", "-c", command), false);
    }

    private Result run(List<String> command, boolean keep) {
        try {
            Path out = Files.createTempFile(dir, "cmd", ".out");
            Path err = Files.createTempFile(dir, "cmd", ".err");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .directory(REPO.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().putAll(env());
            Process p = pb.start();
            if (keep) {
                blocks.add(p);
            }
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
        return status(8080, url);
    }

    /** The status of GET {@code url} through the edge on 127.0.0.1:{@code edgePort}; 0 for none. */
    private static int status(int edgePort, String url) {
        try {
            return HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edgePort + "/"))
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
            this(8080, url);
        }

        Prober(int edgePort, String url) {
            thread = Thread.ofPlatform().daemon().start(() -> {
                while (running.get()) {
                    int s = status(edgePort, url);
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
