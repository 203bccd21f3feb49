package dev.spinup.controlplane;

import dev.spinup.controlplane.auth.ApiTokens;
import dev.spinup.controlplane.engine.StepHooks;
import dev.spinup.controlplane.postgres.Database;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One control-plane replica: built from its config ({@link Wiring}), then started and stopped
 * here. Several replicas may share one database.
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

    private final Wiring w;

    private ControlPlane(Wiring wiring) {
        this.w = wiring;
    }

    /** Builds, migrates the database and starts serving. */
    public static ControlPlane start(ControlPlaneConfig config, Clock clock, PrometheusMeterRegistry meters) {
        return start(config, clock, meters, StepHooks.NONE);
    }

    /** As {@link #start(ControlPlaneConfig, Clock, PrometheusMeterRegistry)}, with step hooks (tests). */
    public static ControlPlane start(
            ControlPlaneConfig config, Clock clock, PrometheusMeterRegistry meters, StepHooks hooks) {
        return start(config, clock, meters, hooks, OpenTelemetry.noop());
    }

    /** With tracing: every transition is one trace (the call, each job run and step, the agent's part). */
    public static ControlPlane start(
            ControlPlaneConfig config,
            Clock clock,
            PrometheusMeterRegistry meters,
            StepHooks hooks,
            OpenTelemetry otel) {
        ControlPlane cp = new ControlPlane(new Wiring(config, clock, meters, hooks, otel));
        try {
            cp.w.listener.start();
            cp.w.accessKeys.rotate(); // a new installation has a key to sign grants with before it serves
            cp.w.engine.start(BackgroundJobs.tasks(
                    cp.w.hostHealth,
                    cp.w.hostLoss,
                    cp.w.periodicSnapshots::scan,
                    cp.w.periodicSnapshots.scanInterval(),
                    cp.w.snapshotSweep,
                    cp.w.accessKeys,
                    cp.w.scaler,
                    cp.w.dnsSync));
            cp.w.server.start();
        } catch (IOException e) {
            cp.close();
            throw new UncheckedIOException("cannot listen on " + config.bindAddress() + ":" + config.grpcPort(), e);
        }
        cp.w.health.setStatus("", ServingStatus.SERVING);
        cp.w.health.setStatus("spinup.v1.WorkspaceService", ServingStatus.SERVING);
        cp.w.health.setStatus("spinup.v1.AgentService", ServingStatus.SERVING);
        log.atInfo()
                .setMessage("control_plane_started")
                .addKeyValue("grpc_port", cp.grpcPort())
                .addKeyValue("metrics_port", cp.metricsPort())
                .log();
        return cp;
    }

    /** What the access-keys job does, now: makes the next access key when it is due (and pushes it to the hosts). */
    public boolean rotateAccessKeys() {
        return w.accessKeys.rotate();
    }

    /** Every verb's steps, undos and point of no return, as the README's Markdown table. */
    public String planTable() {
        return w.planTable;
    }

    /** Sweeps object storage for snapshot objects no record stands for, now (tests; it also runs on its own). */
    public int sweepSnapshotObjects() {
        return w.snapshotSweep.sweep();
    }

    /** Publishes the workspaces' names now (tests; it also runs on its own); 0 when no DNS is published. */
    public int publishDns() {
        return w.dnsSync == null ? 0 : w.dnsSync.sync();
    }

    /** Runs whatever background work is due now (e.g. after a test moved the clock). */
    public void checkForDueWork() {
        w.engine.checkForDueWork();
    }

    public int grpcPort() {
        return w.server.getPort();
    }

    public int metricsPort() {
        return w.metrics.port();
    }

    public Database database() {
        return w.db;
    }

    public ApiTokens apiTokens() {
        return w.tokens;
    }

    /** Stops taking calls, then the work behind them, then what that work uses. */
    @Override
    public void close() {
        w.health.enterTerminalState();
        w.server.shutdown();
        w.sessions.close();
        try {
            if (!w.server.awaitTermination(5, TimeUnit.SECONDS)) {
                w.server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            w.server.shutdownNow();
        }
        w.scaler.close();
        w.engine.close();
        w.heartbeats.close();
        w.listener.close();
        w.metrics.close();
        w.processMeters.close();
        w.grpcExecutor.shutdownNow();
        w.storage.close();
        w.db.close();
        log.atInfo().setMessage("control_plane_stopped").log();
    }
}
