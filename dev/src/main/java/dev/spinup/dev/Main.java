package dev.spinup.dev;

import dev.spinup.api.Telemetry;
import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.ControlPlaneConfig;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.engine.StepHooks;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./spinup dev}: the control plane on this machine with everything embedded (Postgres, S3,
 * CA), a registered local host and an admin token. Production runs
 * {@code spinup-control-plane serve}, whose classpath has none of this module.
 */
@Command(
        name = "spinup-dev",
        mixinStandardHelpOptions = true,
        description = "Run the control plane on this machine with everything embedded (Postgres, S3, CA).")
public final class Main implements Callable<Integer> {
    @CommandLine.Mixin
    dev.spinup.api.Settings.LogFormatOption logFormat;

    public static void main(String[] args) {
        dev.spinup.api.Settings.configureLogFormat("dev", args);
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(dev.spinup.api.Settings.run("dev", java.util.Set.of(), new Main(), args));
    }

    @Option(
            names = "--data-dir",
            defaultValue = "${env:SPINUP_DATA_DIR:-.spinup}",
            description = "Where dev state lives (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--host-capacity",
            defaultValue = "${env:SPINUP_DEV_HOST_CAPACITY}",
            description = "vcpu,ram_gb,disk_gb the local host offers (env SPINUP_DEV_HOST_CAPACITY; default: 4 vCPU a"
                    + " core, twice the RAM in GiB, the data directory's free disk in GiB).")
    String hostCapacity;

    @Option(
            names = "--local-hosts-max",
            defaultValue = "${env:SPINUP_DEV_LOCAL_HOSTS_MAX:-0}",
            description = "Make region \"" + ELASTIC_REGION
                    + "\" grow to this many hosts started on this machine (agents"
                    + " of their own, enrolled with one-time tokens) to keep room for "
                    + ELASTIC_HEADROOM + " HOBBY workspaces (env SPINUP_DEV_LOCAL_HOSTS_MAX; 0: no such region).")
    int localHostsMax;

    @Option(
            names = "--agent-build",
            defaultValue = "host-agent/target",
            description = "Where the host agent's jar and lib/ are, for --local-hosts-max (default: ${DEFAULT-VALUE}).")
    Path agentBuild;

    static final String ELASTIC_REGION = "local-elastic";
    static final int ELASTIC_HEADROOM = 2;

    @CommandLine.Mixin
    dev.spinup.controlplane.Main.Ports ports;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Clock clock = Clock.systemUTC();
        int[] capacity = hostCapacity == null
                ? null
                : dev.spinup.api.Settings.numbers(
                        spec.commandLine(), "--host-capacity", hostCapacity, ",", "vcpu,ram_gb,disk_gb", 1);
        DevEnvironment env = DevEnvironment.prepare(
                dataDir, System.getenv("DATABASE_URL"), System.getenv("SPINUP_S3_ENDPOINT"), clock);
        String bind = ports.bind.equals("0.0.0.0") ? "127.0.0.1" : ports.bind;
        ControlPlaneConfig config = ControlPlaneConfig.defaults(env.database(), env.objectStorage(), env.tls())
                .withPorts(bind, ports.grpcPort, ports.metricsPort);
        if (localHostsMax < 0 || (localHostsMax > 0 && ports.grpcPort == 0)) {
            env.close();
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--local-hosts-max must be 0 or more, with a fixed --grpc-port for the agents to dial");
        }
        if (localHostsMax > 0) {
            config = config.withLocalHosts(env.localHosts(agentBuild, ports.grpcPort));
        }
        ControlPlane cp;
        ControlPlaneConfig chosen = config;
        try {
            cp = ports.start(
                    spec.commandLine(),
                    () -> ControlPlane.start(
                            chosen,
                            clock,
                            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                            StepHooks.NONE,
                            Telemetry.fromEnvironment("spinup-control-plane")));
        } catch (CommandLine.ParameterException e) {
            env.close(); // the embedded services it started
            throw e;
        }
        UUID hostId = env.registerLocalHost(
                cp, clock, capacity == null ? null : new Envelope(capacity[0], capacity[1], capacity[2]));
        String token = env.adminToken(cp, clock);
        Path cliConfig = env.writeCliConfig(cp.grpcPort());
        env.writeReplicaConfig();
        if (localHostsMax > 0) {
            env.elasticRegion(cp, ELASTIC_REGION, localHostsMax, ELASTIC_HEADROOM);
            System.out.println("dev: region " + ELASTIC_REGION + " grows to " + localHostsMax
                    + " hosts on this machine for a headroom of " + ELASTIC_HEADROOM
                    + " HOBBY workspaces: ./spinup fleet region " + ELASTIC_REGION);
        }
        // The API answers already (the banner waits for the local host): say how to reach it.
        System.out.println("dev: control plane up on localhost:" + cp.grpcPort() + "; already answering: "
                + grpcurl(env, cp) + " list");
        awaitPlaceable(cp, hostId, config.heartbeatLease(), clock);
        printBanner(cp, env, hostId, token, cliConfig);
        return dev.spinup.controlplane.Main.runUntilStopped(cp, env);
    }

    /**
     * The banner says "try this": it comes once a create can be placed, i.e. the local host is
     * healthy with a heartbeat inside the lease (its agent is connected, or was a moment ago).
     * Until then, one line says what it waits for.
     */
    static void awaitPlaceable(ControlPlane cp, UUID hostId, java.time.Duration lease, Clock clock)
            throws InterruptedException {
        System.out.println("dev: waiting for the local host agent …");
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            var host = cp.database().read(tx -> tx.fleet().findHost(hostId)).orElseThrow();
            if (host.state() == dev.spinup.controlplane.core.HostState.HEALTHY
                    && host.lastHeartbeatAt() != null
                    && host.lastHeartbeatAt().isAfter(clock.instant().minus(lease))) {
                return;
            }
            Thread.sleep(100); // polling the host's first heartbeat, with a deadline
        }
        System.out.println(
                "dev: the local host agent has not connected within 3 min: creates get NO_CAPACITY until it does");
    }

    /** A grpcurl command line that reaches this control plane, up to the method. */
    private String grpcurl(DevEnvironment env, ControlPlane cp) {
        return "grpcurl -cacert " + env.caCertificate() + " -H \"authorization: Bearer $(cat "
                + dataDir.resolve("admin-token") + ")\" localhost:" + cp.grpcPort();
    }

    private void printBanner(ControlPlane cp, DevEnvironment env, UUID hostId, String token, Path cliConfig) {
        String target = "localhost:" + cp.grpcPort();
        String ca = env.caCertificate().toString();
        Envelope capacity = cp.database()
                .read(tx -> tx.fleet().findHost(hostId))
                .orElseThrow()
                .total();
        System.out.printf(
                """

                SpinUp control plane (dev mode) is up.
                  gRPC (TLS)   %s      CA certificate: %s
                  metrics      http://127.0.0.1:%d/metrics
                  database     %s
                  S3 endpoint  %s
                  local host   %s (region "%s"); its agent credentials are in %s
                  capacity     %d vCPU, %d GiB RAM, %d GiB disk (--host-capacity or SPINUP_DEV_HOST_CAPACITY)
                  admin token  %s   (also in %s)
                  CLI settings %s   (./spinup finds them: SPINUP_DATA_DIR, else the nearest .spinup/)

                Try it (the spinup CLI; grpcurl works too, see the README):
                  ./spinup workspaces create --external-id ws-1 --user u-1 --name "My first workspace" --wait
                  ./spinup workspaces list
                  ./spinup workspaces open <workspace id>     # a one-time link into its IDE (--target app: the app)
                or with grpcurl (any gRPC client; reflection is on):
                  %s spinup.v1.WorkspaceService/ListWorkspaces

                """,
                target,
                ca,
                cp.metricsPort(),
                env.database().jdbcUrl(),
                env.objectStorage().endpoint() + " bucket "
                        + env.objectStorage().bucket(),
                hostId,
                DevEnvironment.REGION,
                dataDir.resolve("agent"),
                capacity.vcpu(),
                capacity.ramGb(),
                capacity.diskGb(),
                token,
                dataDir.resolve("admin-token"),
                cliConfig,
                grpcurl(env, cp));
        System.out.flush();
    }
}
