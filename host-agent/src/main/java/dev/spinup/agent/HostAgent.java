package dev.spinup.agent;

import dev.spinup.agent.commands.CommandExecutor;
import dev.spinup.agent.commands.CommandHooks;
import dev.spinup.agent.commands.ExecutedCommands;
import dev.spinup.agent.drivers.ProcessVmDriver;
import dev.spinup.agent.drivers.VmDriver;
import dev.spinup.agent.edge.CaddyEdge;
import dev.spinup.agent.edge.EdgeController;
import dev.spinup.agent.edge.RouteGuard;
import dev.spinup.agent.edge.RoutesFileOnly;
import dev.spinup.agent.session.ControlPlaneConnection;
import dev.spinup.agent.session.EventOutbox;
import dev.spinup.agent.snapshots.SnapshotTransfer;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.Envelope;
import dev.spinup.api.v1.WorkspaceLocalEvent;
import dev.spinup.api.v1.WorkspaceLocalEventKind;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.UUID;

/** The composition root of the host agent. */
public final class HostAgent implements AutoCloseable {
    private final VmDriver driver;
    private final CommandExecutor executor;
    private final ControlPlaneConnection connection;
    private final EventOutbox outbox;
    private final EdgeController edge;
    /** Prunes the executed-command records once an hour (they would otherwise grow for the host's life). */
    private final java.util.concurrent.ScheduledExecutorService housekeeping =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "agent-housekeeping");
                t.setDaemon(true);
                return t;
            });

    private HostAgent(
            HostAgentConfig config, Clock clock, CommandHooks hooks, OpenTelemetry otel, VmDriver customDriver) {
        java.nio.file.Path guestDir = config.guestDir() != null
                ? config.guestDir()
                : GuestFiles.extract(config.dataDir().resolve("guest"));
        this.driver = customDriver != null ? customDriver : driver(config, guestDir);
        ExecutedCommands executed = new ExecutedCommands(config.dataDir().resolve("commands"));
        this.outbox = new EventOutbox(
                clock, config.dataDir().resolve("events"), EventOutbox.DEFAULT_CAPACITY, EventOutbox.AgentMetrics.NONE);
        driver.onUnexpectedExit(exit -> outbox.emit(AgentEvent.newBuilder()
                .setWorkspaceEvent(WorkspaceLocalEvent.newBuilder()
                        .setWorkspaceId(exit.workspaceId())
                        .setKind(exit.crashed() ? WorkspaceLocalEventKind.CRASHED : WorkspaceLocalEventKind.EXITED)
                        .setMessage(exit.message()))));
        dev.spinup.agent.edge.PreviewPorts previews = new dev.spinup.agent.edge.PreviewPorts(driver);
        this.edge = edge(config, outbox, new RouteGuard(() -> running(driver), previews));
        driver.holdPorts(edge::proxiedPorts);
        driver.onUnexpectedExit(exit -> edge.refresh()); // the edge stops proxying to an app that died
        this.executor = new CommandExecutor(
                driver,
                new SnapshotTransfer(driver, config.dataDir().resolve("scratch")),
                edge,
                executed,
                outbox,
                clock,
                hooks,
                otel.getTracer("dev.spinup.agent"));
        SslContext ssl;
        try {
            ssl = GrpcSslContexts.forClient()
                    .keyManager(
                            config.certificate().toFile(), config.privateKey().toFile())
                    .trustManager(config.caCertificate().toFile())
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the host certificate", e);
        }
        Envelope total = Envelope.newBuilder()
                .setVcpu(config.totalVcpu())
                .setRamGb(config.totalRamGb())
                .setDiskGb(config.totalDiskGb())
                .build();
        this.connection = new ControlPlaneConnection(
                config.controlPlanes(),
                ssl,
                executor,
                outbox,
                driver,
                executed,
                total,
                config.heartbeatInterval(),
                UUID.randomUUID().toString(),
                edge,
                previews);
    }

    private static VmDriver driver(HostAgentConfig config, Path guestDir) {
        Path workspaces = config.dataDir().resolve("workspaces");
        if (config.qemu() != null) {
            return new dev.spinup.agent.drivers.QemuVmDriver(
                    workspaces,
                    config.qemu().image(),
                    config.advertiseHost(),
                    config.portFrom(),
                    config.portTo(),
                    config.startTimeout(),
                    config.qemu().accel());
        }
        return new ProcessVmDriver(
                workspaces,
                guestDir,
                config.advertiseHost(),
                config.portFrom(),
                config.portTo(),
                config.startTimeout(),
                config.codeServer(),
                config.templateDeps());
    }

    /** The workspaces running here now and where each answers: what the edge may proxy to. */
    private static java.util.Map<String, RouteGuard.Running> running(VmDriver driver) {
        java.util.Map<String, RouteGuard.Running> running = new java.util.HashMap<>();
        for (var w : driver.inventory()) {
            if (w.state() == dev.spinup.agent.drivers.LocalWorkspace.State.RUNNING
                    && !w.endpoint().isEmpty()) {
                running.put(w.workspaceId(), new RouteGuard.Running(w.endpoint(), w.ideEndpoint()));
            }
        }
        return running;
    }

    private static EdgeController edge(HostAgentConfig config, EventOutbox outbox, RouteGuard guard) {
        Path dir = config.dataDir().resolve("edge");
        if (config.edge() == null) {
            return new RoutesFileOnly(dir);
        }
        String listen = config.edge().settings().listen();
        String port = listen.substring(listen.lastIndexOf(':') + 1);
        return new CaddyEdge(
                dir,
                config.edge().settings(),
                config.advertiseHost() + ":" + port,
                config.edge().caddyBinary(),
                status -> outbox.emit(AgentEvent.newBuilder().setCertificate(status)),
                guard);
    }

    public static HostAgent start(HostAgentConfig config, Clock clock) {
        return start(config, clock, CommandHooks.NONE);
    }

    /** With test hooks inside command execution (the agent crash table). */
    public static HostAgent start(HostAgentConfig config, Clock clock, CommandHooks hooks) {
        return start(config, clock, hooks, OpenTelemetry.noop());
    }

    /** With tracing: each command runs in a span of the operation step that sent it. */
    public static HostAgent start(HostAgentConfig config, Clock clock, CommandHooks hooks, OpenTelemetry otel) {
        return start(config, clock, hooks, otel, null);
    }

    /** With a driver of the caller's (benchmarks: {@link dev.spinup.agent.drivers.NoopVmDriver}); null: the configured one. */
    public static HostAgent start(
            HostAgentConfig config, Clock clock, CommandHooks hooks, OpenTelemetry otel, VmDriver driver) {
        HostAgent agent = new HostAgent(config, clock, hooks, otel, driver);
        agent.connection.start();
        agent.housekeeping.scheduleWithFixedDelay(agent::prune, 0, 1, java.util.concurrent.TimeUnit.HOURS);
        return agent;
    }

    private void prune() {
        try {
            executor.pruneRecords();
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(HostAgent.class)
                    .warn("event=command_records_prune_failed error=\"{}\"", e.toString());
        }
    }

    public boolean isConnected() {
        return connection.isConnected();
    }

    /** How many times this agent process began executing the command. */
    public int timesExecuted(String commandId) {
        return executor.timesExecuted(commandId);
    }

    public VmDriver driver() {
        return driver;
    }

    public EdgeController edge() {
        return edge;
    }

    /** Disconnects. Workspace processes keep running; the next agent adopts them. */
    @Override
    public void close() {
        housekeeping.shutdownNow();
        connection.close();
        executor.close();
        edge.close();
        driver.close();
        outbox.close();
    }
}
