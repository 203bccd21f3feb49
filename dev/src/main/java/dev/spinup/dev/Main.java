package dev.spinup.dev;

import dev.spinup.api.Telemetry;
import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.ControlPlaneConfig;
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
    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Option(
            names = "--data-dir",
            defaultValue = "${env:SPINUP_DATA_DIR:-.spinup}",
            description = "Where dev state lives (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @CommandLine.Mixin
    dev.spinup.controlplane.Main.Ports ports;

    @Override
    public Integer call() throws Exception {
        Clock clock = Clock.systemUTC();
        DevEnvironment env = DevEnvironment.prepare(
                dataDir, System.getenv("DATABASE_URL"), System.getenv("SPINUP_S3_ENDPOINT"), clock);
        String bind = ports.bind.equals("0.0.0.0") ? "127.0.0.1" : ports.bind;
        ControlPlaneConfig config = ControlPlaneConfig.defaults(env.database(), env.objectStorage(), env.tls())
                .withPorts(bind, ports.grpcPort, ports.metricsPort);
        ControlPlane cp = ControlPlane.start(
                config,
                clock,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                StepHooks.NONE,
                Telemetry.fromEnvironment("spinup-control-plane"));
        UUID hostId = env.registerLocalHost(cp, clock);
        String token = env.adminToken(cp, clock);
        printBanner(cp, env, hostId, token);
        return dev.spinup.controlplane.Main.runUntilStopped(cp, env);
    }

    private void printBanner(ControlPlane cp, DevEnvironment env, UUID hostId, String token) {
        String target = "localhost:" + cp.grpcPort();
        String ca = env.caCertificate().toString();
        System.out.printf(
                """

                SpinUp control plane (dev mode) is up.
                  gRPC (TLS)   %s      CA certificate: %s
                  metrics      http://127.0.0.1:%d/metrics
                  database     %s
                  S3 endpoint  %s
                  local host   %s (region "%s"); its agent credentials are in %s
                  admin token  %s   (also in %s)

                Try it (grpcurl):
                  export SPINUP_TOKEN=$(cat %s)
                  grpcurl -cacert %s -H "authorization: Bearer $SPINUP_TOKEN" \\
                    -d '{"request_id":"try-1","external_workspace_id":"ws-1","external_user_id":"u-1","display_name":"My first workspace","region":"local","flavor":"FLAVOR_HOBBY"}' \\
                    %s spinup.v1.WorkspaceService/CreateWorkspace
                  grpcurl -cacert %s -H "authorization: Bearer $SPINUP_TOKEN" \\
                    -d '{"workspace_id":"<workspace_id from above>"}' %s spinup.v1.WorkspaceService/GetWorkspace
                  workspaces are private: ask for a one-time link and open its "url" in a browser
                  (target ACCESS_TARGET_IDE for the IDE, on a host started with SPINUP_CODE_SERVER):
                  grpcurl -cacert %s -H "authorization: Bearer $SPINUP_TOKEN" \
                    -d '{"request_id":"open-1","workspace_id":"<workspace_id>","target":"ACCESS_TARGET_APP"}' \
                    %s spinup.v1.WorkspaceService/CreateAccessGrant

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
                token,
                dataDir.resolve("admin-token"),
                dataDir.resolve("admin-token"),
                ca,
                target,
                ca,
                target,
                ca,
                target);
        System.out.flush();
    }
}
