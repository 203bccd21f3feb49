package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.controlplane.core.Envelope;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code spinup} CLI as an operator runs it: a child process (the cli module's jar and its
 * target/lib, as {@code ./spinup} runs it) against a real control plane and host agent, over TLS
 * with a bearer token. Each error class has its documented exit code and a one-line message
 * naming the ErrorInfo reason.
 */
class CliTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static Path failMarker;

    @BeforeAll
    static void start() throws IOException {
        cluster = spinup.cluster();
        failMarker = spinup.dir().resolve("fail-next-start");
        // The starter app, unless the marker file exists: then its start fails (a create rolls back).
        Path guest = Workspaces.guestWithStartScript(
                spinup.dir().resolve("guest"),
                "#!/bin/sh\nif [ -e '" + failMarker + "' ]; then echo 'told to fail by the test' >&2; exit 3; fi\n"
                        + "exec node server.js\n");
        for (String file : List.of("server.js", "index.html")) {
            try (InputStream in = CliTest.class.getResourceAsStream("/spinup/guest/templates/starter/" + file)) {
                Files.copy(in, guest.resolve("templates/starter/" + file));
            }
        }
        cluster.startAgent(new Envelope(2, 4, 40), guest);
    }

    @Test
    void aWorkspaceGoesThroughItsLifeWithTheCli() {
        Result create = cli(
                "workspaces",
                "create",
                "--external-id",
                "cli-" + UUID.randomUUID(),
                "--user",
                "u-1",
                "--name",
                "CLI demo",
                "--region",
                SpinUpCluster.REGION,
                "--wait");
        assertThat(create.code).as(create.toString()).isZero();
        assertThat(create.err)
                .as("a live line per step, then the outcome")
                .contains("request_id cli-")
                .containsPattern("provision +(running|done)")
                .containsPattern("start +(running|done)")
                .containsPattern("create succeeded in [0-9.]+ s");
        assertThat(create.out).containsPattern("status: +succeeded").containsPattern("verb: +create");
        String ws = field(create.out, "workspace");

        Result get = cli("workspaces", "get", ws);
        assertThat(get.out)
                .contains("state:")
                .containsPattern("state: +active")
                .contains("flavor:")
                .contains(ws);
        Result json = cli("--json", "workspaces", "get", ws);
        assertThat(json.out).contains("\"state\": \"WORKSPACE_STATE_ACTIVE\"").contains("\"id\": \"" + ws + "\"");
        assertThat(cli("workspaces", "list", "--state", "active").out)
                .startsWith("ID ")
                .containsPattern(Pattern.quote(ws) + " +CLI demo +active +hobby");

        Result suspend = cli("workspaces", "suspend", ws);
        assertThat(suspend.code).as(suspend.toString()).isZero();
        String op = field(suspend.out, "id");
        Result wait = cli("ops", "wait", op);
        assertThat(wait.code).as(wait.toString()).isZero();
        assertThat(wait.err).containsPattern("stop +(running|done)").contains("suspend succeeded");
        assertThat(wait.out).containsPattern("status: +succeeded");
        assertThat(cli("workspaces", "get", ws).out).containsPattern("state: +suspended");
        assertThat(cli("ops", "list", "--workspace", ws).out)
                .containsPattern(Pattern.quote(op) + " +" + Pattern.quote(ws) + " +suspend +succeeded")
                .containsPattern("create +succeeded");

        // A retry with the printed request id is the same request: the same operation.
        String rid = "cli-retry-" + UUID.randomUUID();
        Result first = cli("workspaces", "restore", ws, "--request-id", rid);
        Result again = cli("workspaces", "restore", ws, "--request-id", rid, "--wait");
        assertThat(again.code).as(again.toString()).isZero();
        assertThat(field(again.out, "id")).isEqualTo(field(first.out, "id"));
        assertThat(first.err).as("a given request id is not replaced").doesNotContain("request_id cli-");

        Result delete = cli("workspaces", "delete", ws, "--wait");
        assertThat(delete.code).as(delete.toString()).isZero();
        assertThat(cli("workspaces", "get", ws).out).containsPattern("state: +deleted");
    }

    @Test
    void eachErrorClassHasItsExitCodeAndOneLine() {
        String missing = UUID.randomUUID().toString();
        assertFails(cli("workspaces", "get", missing), 4, "NOT_FOUND WORKSPACE_NOT_FOUND", "workspaceId=" + missing);
        assertFails(cli("workspaces", "get", "not-an-id"), 3, "INVALID_ARGUMENT FIELD_INVALID", "field=workspace_id");
        assertFails(cli("workspaces", "list", "--page-token", "bogus"), 3, "PAGE_TOKEN_INVALID", "");
        assertFails(
                cli(
                        "workspaces",
                        "create",
                        "--external-id",
                        "big-" + UUID.randomUUID(),
                        "--user",
                        "u",
                        "--name",
                        "big",
                        "--region",
                        SpinUpCluster.REGION,
                        "--flavor",
                        "team"),
                6,
                "RESOURCE_EXHAUSTED NO_CAPACITY",
                "region=" + SpinUpCluster.REGION);
        assertFails(cliAs("spn_unknown", "workspaces", "list"), 7, "UNAUTHENTICATED TOKEN_INVALID", "");
        assertFails(
                cliAs(cluster.productToken(), "fleet", "hosts"), 7, "PERMISSION_DENIED SCOPE_REQUIRED", "scope=admin");
        assertFails(
                run(
                        spinup.dir(),
                        Map.of("HOME", spinup.dir().toString()),
                        "--server",
                        "localhost:" + Ports.free(),
                        "--token",
                        cluster.adminToken(),
                        "workspaces",
                        "list"),
                8,
                "UNAVAILABLE",
                "Connection refused");
        assertFails(cli("workspaces", "frobnicate"), 2, "Unmatched argument", "(see: spinup workspaces --help)");
        assertFails(
                cli("workspaces", "list", "--state", "sleepy"),
                2,
                "--state 'sleepy' is not one of",
                "active, suspended");
        assertFails(cli("--timeout", "soon", "workspaces", "list"), 2, "'soon' is not a duration", "");

        String ws = Workspaces.createActive(cluster.product(), Workspaces.hobby("cli-conflict"));
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "suspend", ws));
        assertFails(
                cli("workspaces", "suspend", ws), 5, "FAILED_PRECONDITION INVALID_STATE_TRANSITION", "state=SUSPENDED");
    }

    @Test
    void anOperationThatRollsBackEndsTheWaitWithItsReason() throws IOException {
        Files.writeString(failMarker, "");
        try {
            Result create = cli(
                    "workspaces",
                    "create",
                    "--external-id",
                    "doomed-" + UUID.randomUUID(),
                    "--user",
                    "u",
                    "--name",
                    "doomed",
                    "--region",
                    SpinUpCluster.REGION,
                    "--wait");
            assertFails(create, 9, "rolled_back: AGENT_COMMAND_FAILED", "told to fail by the test");
            assertThat(create.err).containsPattern("rollback:destroy +(running|done)");
        } finally {
            Files.delete(failMarker);
        }
    }

    @Test
    void tokensAreMadeListedAndRevokedAndARevokedOneIsRefusedAtOnce() {
        String name = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        Result made = cli("tokens", "create", name, "--scope", "workspaces", "--ttl", "1h");
        assertThat(made.code).as(made.toString()).isZero();
        String secret = made.out.strip();
        assertThat(secret).startsWith("spn_");
        assertThat(made.err).contains("it is not shown again");

        Result listed = cli("tokens", "list");
        assertThat(listed.out)
                .containsPattern(Pattern.quote(name) + " +workspaces +\\S+ +\\S+ +- +admin:")
                .doesNotContain(secret);
        assertThat(cliAs(secret, "workspaces", "list").code).isZero();

        assertFails(
                cli("tokens", "create", name, "--scope", "workspaces"),
                5,
                "ALREADY_EXISTS API_TOKEN_NAME_TAKEN",
                "name=" + name);
        assertThat(cli("tokens", "revoke", name).out).startsWith("revoked " + name);
        assertFails(cliAs(secret, "workspaces", "list"), 7, "UNAUTHENTICATED TOKEN_INVALID", "");
        assertThat(cli("tokens", "list").out).doesNotContain(name);
        assertThat(cli("tokens", "list", "--revoked").out).contains(name);
        assertFails(cli("tokens", "revoke", "no-such-token"), 4, "NOT_FOUND API_TOKEN_NOT_FOUND", "name=no-such-token");
    }

    @Test
    void aRegionsCapacityIsShownAndSet() {
        Result set = cli(
                "fleet",
                "set-capacity",
                SpinUpCluster.REGION,
                "--max-hosts",
                "7",
                "--headroom",
                "3",
                "--headroom-flavor",
                "pro",
                "--cool-down",
                "15m");
        assertThat(set.code).as(set.toString()).isZero();
        assertThat(set.out)
                .containsPattern("min/max hosts: +0 / 7")
                .containsPattern("headroom: +\\d+ of 3 pro free")
                .containsPattern("scale-in after: +900 s empty");
        Result shown = cli("fleet", "region", SpinUpCluster.REGION);
        assertThat(shown.code).isZero();
        assertThat(shown.out).isEqualTo(set.out);
        assertFails(cli("fleet", "region", "nowhere"), 4, "NOT_FOUND REGION_NOT_FOUND", "region=nowhere");
        assertFails(
                cli("fleet", "set-capacity", SpinUpCluster.REGION, "--min-hosts", "5", "--max-hosts", "2"),
                3,
                "INVALID_ARGUMENT FIELD_INVALID",
                "capacity.max_hosts");
    }

    @Test
    void withNoSettingsItUsesTheDevDataDirectorysConfigFromTheCheckout() throws IOException {
        Path checkout = spinup.dir().resolve("checkout");
        Path data = Files.createDirectories(checkout.resolve(".spinup"));
        Files.copy(cluster.caCertificate(), data.resolve("ca.crt"));
        Files.writeString(data.resolve("admin-token"), cluster.adminToken() + "\n");
        Files.writeString(
                data.resolve("cli.conf"),
                "server = localhost:" + cluster.controlPlane().grpcPort()
                        + "\nca = ca.crt\ntoken-file = admin-token\n");
        Path below = Files.createDirectories(checkout.resolve("some/dir"));
        Result hosts = run(below, Map.of("HOME", spinup.dir().toString()), "fleet", "hosts");
        assertThat(hosts.code).as(hosts.toString()).isZero();
        assertThat(hosts.out).startsWith("ID ").contains(SpinUpCluster.REGION).contains("healthy");

        Files.writeString(data.resolve("cli.conf"), "server = localhost:1\nsevrer = typo\n");
        assertFails(run(below, Map.of("HOME", spinup.dir().toString()), "fleet", "hosts"), 2, "unknown key sevrer", "");
    }

    @Test
    void itGeneratesItsShellCompletion() {
        Result completion = cli("generate-completion");
        assertThat(completion.code).isZero();
        assertThat(completion.out)
                .contains("complete -F")
                .contains("workspaces")
                .contains("ops");
    }

    private static void assertFails(Result r, int code, String reason, String detail) {
        assertThat(r.code).as(r.toString()).isEqualTo(code);
        List<String> lines = r.err.lines().filter(l -> l.startsWith("spinup: ")).toList();
        assertThat(lines).as("one line of error: %s", r).hasSize(1);
        assertThat(lines.getFirst()).contains(reason).contains(detail);
        assertThat(r.err).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception in thread");
    }

    private static String field(String out, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + ": +(\\S+)$").matcher(out);
        assertThat(m.find()).as("%s in %s", key, out).isTrue();
        return m.group(1);
    }

    record Result(int code, String out, String err) {}

    private static Result cli(String... args) {
        return cliAs(cluster.adminToken(), args);
    }

    private static Result cliAs(String token, String... args) {
        List<String> all = new ArrayList<>(List.of(
                "--server",
                "localhost:" + cluster.controlPlane().grpcPort(),
                "--ca",
                cluster.caCertificate().toString(),
                "--token",
                token));
        all.addAll(List.of(args));
        return run(spinup.dir(), Map.of("HOME", spinup.dir().toString()), all.toArray(String[]::new));
    }

    /** The CLI as a child JVM in {@code dir}, with no SPINUP_* settings but {@code env}. */
    private static Result run(Path dir, Map<String, String> env, String... args) {
        try {
            Path module = Path.of("..", "cli", "target").toAbsolutePath().normalize();
            Path jar = ChildProcesses.moduleJar(module, "spinup-cli");
            List<String> command = new ArrayList<>(List.of(
                    ProcessHandle.current().info().command().orElseThrow(),
                    "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC",
                    "-XX:+AutoCreateSharedArchive",
                    "-Xlog:disable", // as the launcher runs it: a remade archive says nothing
                    "-XX:SharedArchiveFile=" + module.resolve("cli-test.jsa"),
                    "-cp",
                    jar + ":" + module.resolve("lib") + "/*",
                    "dev.spinup.cli.Main"));
            command.addAll(List.of(args));
            Path out = Files.createTempFile(spinup.dir(), "cli", ".out");
            Path err = Files.createTempFile(spinup.dir(), "cli", ".err");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("SPINUP_") || k.startsWith("XDG_"));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(Duration.ofMinutes(2).toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(
                        "spinup " + String.join(" ", args) + " did not exit within 2 min: " + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
