package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.spinup.api.v1.CreateEnrollmentTokenRequest;
import dev.spinup.api.v1.Host;
import dev.spinup.api.v1.HostState;
import dev.spinup.api.v1.ListHostsRequest;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.fleet.LocalHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The local capacity provider's hosts: real agents in child processes, each enrolled with a
 * one-time token through the agent's own {@code enroll}, each with its own data directory and
 * port range; starting one again starts nothing; a stopped one's process ends. And the enroll
 * command's refusals are one line naming the status and the reason.
 */
class LocalHostsTest {
    static final String REGION = "local-test";
    static final String FIRST = "first.local-test.localhost";
    static final String SECOND = "second.local-test.localhost";
    static SpinUpCluster cluster;
    static LocalHosts hosts;
    static List<String> agent;

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        cluster.database().inTransactionVoid(tx -> tx.fleet().ensureRegion(REGION, "Local hosts"));
        agent = ChildProcesses.agentCommand();
        hosts = new LocalHosts(new LocalHosts.Config(
                agent,
                spinup.dir().resolve("local-hosts"),
                "localhost:" + cluster.controlPlane().grpcPort(),
                cluster.caCertificate(),
                new Envelope(2, 4, 40),
                Ports.free(),
                10));
    }

    @AfterAll
    static void stop() {
        for (String fqdn : List.of(FIRST, SECOND)) {
            hosts.stop(fqdn);
        }
    }

    @Test
    void hostsEnrollWithAOneTimeTokenRunAndStop() throws Exception {
        String first = hosts.start(FIRST, LocalHostsTest::token);
        String second = hosts.start(SECOND, LocalHostsTest::token);
        Eventually.await(
                java.time.Duration.ofMinutes(2),
                "both local hosts healthy",
                () -> healthy().containsAll(List.of(first, second)));
        long pid = pid(first);

        assertThat(hosts.start(FIRST, () -> {
                    throw new AssertionError("no token is asked for a host that has credentials");
                }))
                .as("a host that runs is left alone")
                .isEqualTo(first);
        assertThat(pid(first)).isEqualTo(pid);
        assertThat(regionHosts()).as("no third host").hasSize(2);

        assertThat(hosts.stop(first)).isTrue();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as("the stopped host's agent process")
                .isFalse();
        assertThat(hosts.stop(first)).as("stopped already").isFalse();
    }

    @Test
    void aRefusedEnrollmentIsOneLineWithItsReason() throws Exception {
        String token = token(SpinUpCluster.REGION); // not the local hosts' region: their count stays theirs
        Path once = spinup.dir().resolve("enroll-once");
        assertThat(enroll(token, once, "once.localhost").exit).isZero();
        Result again = enroll(token, spinup.dir().resolve("enroll-twice"), "twice.localhost");
        assertThat(again.exit).isEqualTo(1);
        assertThat(again.out.strip().lines().toList())
                .singleElement()
                .asString()
                .startsWith("enroll: UNAUTHENTICATED ENROLLMENT_TOKEN_USED: ");
    }

    record Result(int exit, String out) {}

    private static Result enroll(String token, Path out, String fqdn) throws Exception {
        List<String> command = new ArrayList<>(agent);
        command.addAll(List.of(
                "enroll",
                "--control-plane",
                "localhost:" + cluster.controlPlane().grpcPort(),
                "--ca",
                cluster.caCertificate().toString(),
                "--token",
                token,
                "--fqdn",
                fqdn,
                "--capacity",
                "1,1,5",
                "--out",
                out.toString()));
        Path log = Files.createTempFile(spinup.dir(), "enroll", ".log");
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return new Result(p.exitValue(), Files.readString(log));
    }

    private static long pid(String fqdn) throws Exception {
        return Long.parseLong(Files.readString(
                        spinup.dir().resolve("local-hosts").resolve(fqdn).resolve("agent.pid"))
                .strip());
    }

    private static String token() {
        return token(REGION);
    }

    private static String token(String region) {
        return cluster.admin()
                .createEnrollmentToken(CreateEnrollmentTokenRequest.newBuilder()
                        .setRegion(region)
                        .setTtl(Duration.newBuilder().setSeconds(600))
                        .build())
                .getToken();
    }

    private static List<Host> regionHosts() {
        return cluster.admin()
                .listHosts(ListHostsRequest.newBuilder().setRegion(REGION).build())
                .getHostsList();
    }

    private static List<String> healthy() {
        return regionHosts().stream()
                .filter(h -> h.getState() == HostState.HOST_STATE_HEALTHY)
                .map(Host::getFqdn)
                .toList();
    }
}
