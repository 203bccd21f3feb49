package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.spinup.controlplane.pki.CertificateAuthority;
import dev.spinup.dev.EmbeddedS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian packages as an operator installs them: {@code dpkg -i} of spinup-control-plane and
 * spinup-host-agent on this machine (as root, as CI runs; skipped otherwise), then the installed
 * commands with the installed config files — /etc/spinup/control-plane.conf and host-agent.conf
 * filled in as an operator would — make a region and a token, enroll this host, run its agent,
 * and a workspace is created through the installed {@code spinup} CLI and becomes active. The
 * packages are purged afterwards.
 */
class DebianPackagesTest {
    private static final Path PACKAGES =
            Path.of("..", "packaging", "target").toAbsolutePath().normalize();

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @TempDir
    static Path dir;

    static final List<Process> started = new ArrayList<>();

    @AfterAll
    static void purge() throws Exception {
        for (Process p : started) {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        if (Files.isDirectory(dir.resolve("agent/workspaces"))) {
            try (var pids = Files.find(dir.resolve("agent/workspaces"), 2, (p, a) -> p.endsWith("pid"))) {
                pids.forEach(
                        p -> ChildProcesses.pidIn(p).flatMap(ProcessHandle::of).ifPresent(ChildProcesses::killTree));
            }
        }
        if (isRoot()) {
            run(List.of("dpkg", "--purge", "spinup-control-plane", "spinup-host-agent"));
        }
    }

    @Test
    void theInstalledPackagesRunACreateToActive() throws Exception {
        assumeTrue(isRoot() && Files.isExecutable(Path.of("/usr/bin/dpkg")), "installing packages needs root and dpkg");
        List<String> debs;
        try (Stream<Path> files = Files.list(PACKAGES)) {
            debs = files.map(Path::toString)
                    .filter(f -> f.endsWith(".deb"))
                    .sorted()
                    .toList();
        }
        assertThat(debs).hasSize(2);
        List<String> install = new ArrayList<>(List.of("dpkg", "-i"));
        install.addAll(debs);
        assertThat(run(install)).as("dpkg -i").startsWith("0");
        assertThat(run(List.of("id", "spinup"))).as("the spinup system user").startsWith("0");
        assertThat(Path.of("/lib/systemd/system/spinup-control-plane.service")).exists();
        assertThat(Path.of("/lib/systemd/system/spinup-host-agent.service")).exists();
        assertThat(run(List.of("dpkg-query", "-W", "-f=${Conffiles}", "spinup-control-plane")))
                .contains("/etc/spinup/control-plane.conf");

        CertificateAuthority ca =
                CertificateAuthority.loadOrCreate(dir.resolve("pki"), "package test CA", Clock.systemUTC());
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"))
                .writeTo(dir.resolve("pki/server.crt"), dir.resolve("pki/server.key"));
        int grpc = Ports.free();
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), 0, "pkg", "pkg-secret", "pkg-bucket")) {
            configure(
                    "/etc/spinup/control-plane.conf",
                    String.join(
                            "\n",
                            "DATABASE_URL=" + pg.config().jdbcUrl()
                                    + (pg.config().jdbcUrl().contains("?") ? "&" : "?") + "user="
                                    + pg.config().user(),
                            "SPINUP_TLS_CERT=" + dir.resolve("pki/server.crt"),
                            "SPINUP_TLS_KEY=" + dir.resolve("pki/server.key"),
                            "SPINUP_CA_CERT=" + dir.resolve("pki/ca.crt"),
                            "SPINUP_CA_KEY=" + dir.resolve("pki/ca.key"),
                            "SPINUP_S3_BUCKET=pkg-bucket",
                            "SPINUP_S3_ENDPOINT=" + s3.endpoint(),
                            "SPINUP_S3_ACCESS_KEY=pkg",
                            "SPINUP_S3_SECRET_KEY=pkg-secret",
                            "SPINUP_BIND=127.0.0.1",
                            "SPINUP_GRPC_PORT=" + grpc,
                            "SPINUP_METRICS_PORT=" + Ports.free()));
            assertThat(run(List.of("/usr/bin/spinup-control-plane", "create-region", "--id", "pkg-region")))
                    .startsWith("0");
            String token = lastLine(run(List.of(
                    "/usr/bin/spinup-control-plane",
                    "create-token",
                    "--name",
                    "pkg-admin",
                    "--scope",
                    "admin",
                    "--scope",
                    "workspaces")));
            started.add(start(List.of("/usr/bin/spinup-control-plane", "serve"), "serve.log"));
            List<String> cli = List.of(
                    "/usr/bin/spinup",
                    "--server",
                    "localhost:" + grpc,
                    "--ca",
                    dir.resolve("pki/ca.crt").toString(),
                    "--token",
                    token);
            Eventually.await(
                    Duration.ofMinutes(2),
                    "the installed control plane to serve",
                    () -> run(concat(cli, "fleet", "regions")).startsWith("0"));

            String enrollment = lastLine(run(concat(cli, "fleet", "enroll-token", "--region", "pkg-region")));
            assertThat(run(List.of(
                            "/usr/bin/spinup-host-agent",
                            "enroll",
                            "--control-plane",
                            "localhost:" + grpc,
                            "--ca",
                            dir.resolve("pki/ca.crt").toString(),
                            "--token",
                            enrollment,
                            "--fqdn",
                            "pkg-host",
                            "--capacity",
                            "2,4,40",
                            "--out",
                            dir.resolve("agent").toString())))
                    .startsWith("0");
            configure(
                    "/etc/spinup/host-agent.conf",
                    String.join(
                            "\n",
                            "SPINUP_CONTROL_PLANES=localhost:" + grpc,
                            "SPINUP_AGENT_CERT=" + dir.resolve("agent/host.crt"),
                            "SPINUP_AGENT_KEY=" + dir.resolve("agent/host.key"),
                            "SPINUP_AGENT_CA=" + dir.resolve("agent/ca.crt"),
                            "SPINUP_AGENT_DATA_DIR=" + dir.resolve("agent"),
                            "SPINUP_AGENT_CAPACITY=2,4,40",
                            "SPINUP_AGENT_METRICS_PORT=0",
                            "SPINUP_AGENT_HEARTBEAT_SECONDS=1"));
            started.add(start(List.of("/usr/bin/spinup-host-agent"), "agent.log"));

            String created = Eventually.await(
                    Duration.ofMinutes(2),
                    "a create placed on the installed agent's host",
                    () -> run(concat(
                            cli,
                            "workspaces",
                            "create",
                            "--external-id",
                            "pkg-1",
                            "--user",
                            "u-1",
                            "--name",
                            "Packaged",
                            "--region",
                            "pkg-region",
                            "--wait")),
                    r -> !r.contains("NO_CAPACITY"));
            assertThat(created).as("create through the installed CLI").startsWith("0");
            Matcher ws = Pattern.compile("(?m)^workspace: +(\\S+)$").matcher(created);
            assertThat(ws.find()).isTrue();
            assertThat(run(concat(cli, "workspaces", "get", ws.group(1)))).containsPattern("state: +active");
        }
    }

    /** An operator's edit of the installed config file: the settings appended below its comments. */
    private static void configure(String file, String settings) throws IOException {
        Path path = Path.of(file);
        assertThat(path).as("the package installed %s", file).exists();
        Files.writeString(path, Files.readString(path) + "\n" + settings + "\n");
    }

    private static Process start(List<String> command, String log) throws IOException {
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(log).toFile())
                .start();
    }

    /** "exit code\nstdout", and stderr after a line "--- stderr" when there is any. */
    private static String run(List<String> command) {
        try {
            Path out = Files.createTempFile(dir, "run", ".out");
            Path err = Files.createTempFile(dir, "run", ".err");
            Process p = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            boolean ended = p.waitFor(3, TimeUnit.MINUTES);
            if (!ended) {
                p.destroyForcibly();
            }
            String errors = Files.readString(err);
            return (ended ? Integer.toString(p.exitValue()) : "timeout") + "\n" + Files.readString(out)
                    + (errors.isEmpty() ? "" : "\n--- stderr\n" + errors);
        } catch (IOException e) {
            return "io\n" + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The last line the command printed on stdout. */
    private static String lastLine(String result) {
        assertThat(result).as("the command's result").startsWith("0");
        String stdout =
                result.contains("\n--- stderr\n") ? result.substring(0, result.indexOf("\n--- stderr\n")) : result;
        return stdout.lines().filter(l -> !l.isBlank()).toList().getLast().strip();
    }

    private static List<String> concat(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
