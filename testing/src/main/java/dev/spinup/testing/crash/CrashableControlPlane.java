package dev.spinup.testing.crash;

import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.ControlPlaneConfig;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.engine.StepHooks;
import dev.spinup.controlplane.postgres.DatabaseConfig;
import dev.spinup.controlplane.storage.ObjectStorage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * A control plane run as a child JVM by the crash tests. At the step boundary named in the spec
 * file ("<verb> <step> <point>", point one of before, after_effect, after_persist) it writes the
 * marker file and stops there; the test then kills the process with SIGKILL. The spec file is read
 * at every boundary, so one process serves any number of cases.
 *
 * <p>The spec "scaler <point> -" stops at the scaler's boundary of that name ({@link
 * StepHooks#atScaling}). The control plane offers the local provider: its agents go under
 * local-hosts-dir, each with the capacity given ("2,4,40").
 *
 * <p>Arguments: jdbc-url user pki-dir s3-endpoint bucket access-key secret-key grpc-port spec-file
 * marker-file local-hosts-dir local-host-capacity
 */
public final class CrashableControlPlane {
    private CrashableControlPlane() {}

    public static void main(String[] args) throws Exception {
        Path pki = Path.of(args[2]);
        Path spec = Path.of(args[8]);
        Path marker = Path.of(args[9]);
        ControlPlaneConfig config = ControlPlaneConfig.defaults(
                        new DatabaseConfig(args[0], args[1], null, 10),
                        new ObjectStorage.Config(URI.create(args[3]), "us-east-1", args[4], args[5], args[6]),
                        // with the CA's key: the local provider's agents enroll with tokens it issues
                        new ControlPlaneConfig.Tls(
                                pki.resolve("server.crt"),
                                pki.resolve("server.key"),
                                pki.resolve("ca.crt"),
                                pki.resolve("ca.key")))
                .withPorts("127.0.0.1", Integer.parseInt(args[7]), 0);
        String[] capacity = args[11].split(",");
        config = config.withLocalHosts(new dev.spinup.controlplane.fleet.LocalHosts.Config(
                dev.spinup.testing.ChildProcesses.agentCommand(),
                Path.of(args[10]),
                "localhost:" + args[7],
                pki.resolve("ca.crt"),
                new dev.spinup.controlplane.core.Envelope(
                        Integer.parseInt(capacity[0]), Integer.parseInt(capacity[1]), Integer.parseInt(capacity[2])),
                26000,
                20));
        // Poll and take over dead executions quickly: the test restarts a killed replica at once.
        // A heartbeat every 500 ms, 4 missed: the dead replica's executions are free (2 s) by the
        // time its successor serves (3 s), and a live replica still has 2 s of slack on a loaded
        // machine before its own executions would look dead.
        config = config.withEngine(new dev.spinup.controlplane.engine.OperationEngine.Config(
                10,
                java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(1),
                "crash-" + ProcessHandle.current().pid(),
                java.time.Duration.ofMillis(500),
                4));
        try {
            ControlPlane.start(
                    config,
                    Clock.systemUTC(),
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                    new KillPoint(spec, marker));
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.out.println("READY");
        System.out.flush();
        new CountDownLatch(1).await();
    }

    private record KillPoint(Path spec, Path marker) implements StepHooks {
        @Override
        public void beforeStep(Operation operation, String step) {
            maybeStop(operation, step, "before");
        }

        @Override
        public void afterEffect(Operation operation, String step) {
            maybeStop(operation, step, "after_effect");
        }

        @Override
        public void afterPersist(Operation operation, String step) {
            maybeStop(operation, step, "after_persist");
        }

        @Override
        public void continuing(Operation operation, String step) {
            maybeStop(operation, step, "continued");
        }

        @Override
        public void atScaling(String point, String regionId) {
            stopAt("scaler", point, "-", regionId);
        }

        private void maybeStop(Operation operation, String step, String point) {
            stopAt(operation.verb().wire(), step, point, operation.id().toString());
        }

        private void stopAt(String verb, String step, String point, String what) {
            try {
                if (!Files.exists(spec) || Files.exists(marker)) {
                    return;
                }
                String[] wanted = Files.readString(spec).trim().split(" ");
                if (wanted[0].equals(verb) && wanted[1].equals(step) && wanted[2].equals(point)) {
                    Files.writeString(marker, what + " " + step + " " + point);
                    new CountDownLatch(1).await(); // the test kills this process here
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
