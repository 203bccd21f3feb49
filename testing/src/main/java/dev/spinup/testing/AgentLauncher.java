package dev.spinup.testing;

import dev.spinup.agent.HostAgent;
import dev.spinup.agent.HostAgentConfig;
import dev.spinup.agent.commands.CommandHooks;
import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.agent.drivers.VmDriver;
import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.testing.SpinUpCluster.RegisteredHost;
import dev.spinup.testing.SpinUpCluster.TestHost;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Registers a test cluster's hosts and runs their real agents in this JVM, each with its own data
 * directory under {@code <dir>/hosts} and its own app port range (every host shares this machine).
 * An agent counts as started once it is connected and a heartbeat of it is in the database, since
 * only then is its host placeable.
 */
final class AgentLauncher implements AutoCloseable {
    private final Path dir;
    private final TestPki pki;
    private final ControlPlane controlPlane;
    private final Clock clock;
    private final CommandHooks hooks;
    private final Duration heartbeat;
    private final OpenTelemetry openTelemetry;
    private final Map<UUID, Integer> portRanges = new ConcurrentHashMap<>();
    private final List<TestHost> hosts = new ArrayList<>();

    AgentLauncher(
            Path dir,
            TestPki pki,
            ControlPlane controlPlane,
            Clock clock,
            CommandHooks hooks,
            Duration heartbeat,
            OpenTelemetry openTelemetry) {
        this.dir = dir;
        this.pki = pki;
        this.controlPlane = controlPlane;
        this.clock = clock;
        this.hooks = hooks;
        this.heartbeat = heartbeat;
        this.openTelemetry = openTelemetry;
    }

    RegisteredHost register(Envelope capacity) {
        UUID hostId = Ids.newId(clock);
        controlPlane
                .database()
                .inTransactionVoid(tx ->
                        tx.fleet().registerHost(hostId, SpinUpCluster.REGION, "host-" + hostId + ".test", capacity));
        Path hostDir = dir.resolve("hosts").resolve(hostId.toString());
        pki.issueHost(hostId, hostDir);
        return new RegisteredHost(hostId, hostDir);
    }

    RegisteredHost unregistered() {
        UUID hostId = Ids.newId(clock);
        Path hostDir = dir.resolve("unregistered").resolve(hostId.toString());
        pki.issueHost(hostId, hostDir);
        return new RegisteredHost(hostId, hostDir);
    }

    /** Starts the agent of a registered host; {@code driver} null: the one {@code options} configure. */
    TestHost start(
            RegisteredHost host,
            Path guestDir,
            Envelope capacity,
            List<ControlPlane> targets,
            UnaryOperator<HostAgentConfig> options,
            VmDriver driver) {
        TestHost started = new TestHost(
                host.id(),
                connect(host.id(), host.dataDir(), guestDir, capacity, targets, options, driver),
                host.dataDir(),
                options);
        synchronized (hosts) {
            hosts.add(started);
        }
        return started;
    }

    /** Stops {@code host}'s agent as a crash would for its commands in flight and starts a new one on its data. */
    TestHost restart(TestHost host, Path guestDir, Envelope capacity, List<ControlPlane> targets) {
        host.agent().close();
        TestHost restarted = new TestHost(
                host.id(),
                connect(host.id(), host.dataDir(), guestDir, capacity, targets, host.options(), null),
                host.dataDir(),
                host.options());
        synchronized (hosts) {
            hosts.set(hosts.indexOf(host), restarted);
        }
        return restarted;
    }

    List<TestHost> hosts() {
        synchronized (hosts) {
            return List.copyOf(hosts);
        }
    }

    private HostAgent connect(
            UUID hostId,
            Path hostDir,
            Path guestDir,
            Envelope capacity,
            List<ControlPlane> targets,
            UnaryOperator<HostAgentConfig> options,
            VmDriver driver) {
        int portFrom = portRanges.computeIfAbsent(hostId, id -> 21000 + 200 * portRanges.size());
        Instant connecting = clock.instant().truncatedTo(ChronoUnit.MICROS);
        HostAgent agent = HostAgent.start(
                options.apply(new HostAgentConfig(
                        targets.stream().map(cp -> "localhost:" + cp.grpcPort()).toList(),
                        hostDir.resolve("host.crt"),
                        hostDir.resolve("host.key"),
                        pki.caCertificate(),
                        hostDir,
                        guestDir,
                        "127.0.0.1",
                        portFrom,
                        portFrom + 199,
                        capacity.vcpu(),
                        capacity.ramGb(),
                        capacity.diskGb(),
                        heartbeat,
                        Duration.ofSeconds(30))),
                clock,
                hooks,
                openTelemetry,
                driver);
        Eventually.await(Duration.ofSeconds(30), "agent " + hostId + " to connect", agent::isConnected);
        // Connected is not yet placeable: heartbeats reach the database in batches, after their ack.
        Eventually.await(
                Duration.ofSeconds(30),
                "a heartbeat of host " + hostId + " in the database",
                () -> controlPlane
                        .database()
                        .read(tx -> tx.fleet().findHost(hostId))
                        .map(h -> h.lastHeartbeatAt() != null
                                && !h.lastHeartbeatAt().isBefore(connecting))
                        .orElse(false));
        return agent;
    }

    /** Stops every agent, every workspace process they started and the Caddy they left serving. */
    @Override
    public void close() {
        for (TestHost host : hosts()) {
            host.agent().close();
            stopCaddy(host.dataDir());
            for (LocalWorkspace w : host.agent().driver().inventory()) {
                try {
                    host.agent().driver().stop(w.workspaceId(), 0);
                } catch (Exception e) {
                    // best effort: the work directory is removed anyway
                }
            }
        }
    }

    /** An agent leaves its Caddy serving when it stops (a next agent adopts it); a test ends it. */
    static void stopCaddy(Path agentDataDir) {
        Path pid = agentDataDir.resolve("edge/caddy.pid");
        try {
            if (java.nio.file.Files.exists(pid)) {
                ProcessHandle.of(Long.parseLong(
                                java.nio.file.Files.readString(pid).strip()))
                        .filter(p ->
                                p.info().command().map(c -> c.endsWith("caddy")).orElse(false))
                        .ifPresent(p -> {
                            p.destroy();
                            p.onExit()
                                    .orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
                                    .exceptionally(e -> {
                                        p.destroyForcibly();
                                        return p;
                                    })
                                    .join();
                        });
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // no Caddy recorded
        }
    }
}
