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
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
    /** What /metrics serves ({@link #meters()}; the agent's Main opens the endpoint). */
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** The JVM and process meters' hold on the JVM, released at close. */
    private final dev.spinup.api.Metrics.Binding processMeters;
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
        this.processMeters = dev.spinup.api.Metrics.standard(meters);
        ExecutedCommands executed = new ExecutedCommands(config.dataDir().resolve("commands"), meters);
        this.outbox = new EventOutbox(
                clock, config.dataDir().resolve("events"), EventOutbox.DEFAULT_CAPACITY, outboxMeters(meters));
        Gauge.builder("spinup_agent_outbox_depth", outbox, EventOutbox::depth)
                .description("events sent and not yet acknowledged by the control plane (replayed on reconnect)")
                .register(meters);
        Gauge.builder("spinup_agent_vms_running", driver, HostAgent::runningCount)
                .description("workspaces (VMs or processes) running on this host")
                .register(meters);
        driver.onUnexpectedExit(exit -> outbox.emit(AgentEvent.newBuilder()
                .setWorkspaceEvent(WorkspaceLocalEvent.newBuilder()
                        .setWorkspaceId(exit.workspaceId())
                        .setKind(
                                exit.crashed()
                                        ? WorkspaceLocalEventKind.WORKSPACE_LOCAL_EVENT_KIND_CRASHED
                                        : WorkspaceLocalEventKind.WORKSPACE_LOCAL_EVENT_KIND_EXITED)
                        .setMessage(exit.message()))));
        dev.spinup.agent.edge.PreviewPorts previews = new dev.spinup.agent.edge.PreviewPorts(driver);
        this.edge = edge(config, outbox, new RouteGuard(() -> running(driver), previews), meters);
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
                otel.getTracer("dev.spinup.agent"),
                meters);
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
                previews,
                meters);
        Gauge.builder("spinup_agent_connected", connection, c -> c.isConnected() ? 1 : 0)
                .description("1 while both streams to a control plane are open")
                .register(meters);
    }

    /**
     * The outbox's troubles on /metrics: events dropped for want of room, by kind; emitters held
     * back until an ack makes room; and the journal's fsyncs ({@code file="journal"}).
     */
    private static EventOutbox.AgentMetrics outboxMeters(MeterRegistry meters) {
        for (AgentEvent.KindCase kind : AgentEvent.KindCase.values()) {
            if (kind != AgentEvent.KindCase.KIND_NOT_SET) {
                meters.counter("spinup_agent_events_dropped", "kind", kind.name());
            }
        }
        Counter blocked = meters.counter("spinup_agent_outbox_blocked");
        Timer fsyncs = meters.timer("spinup_agent_fsync", "file", "journal");
        return new EventOutbox.AgentMetrics() {
            @Override
            public void dropped(AgentEvent.KindCase kind) {
                meters.counter("spinup_agent_events_dropped", "kind", kind.name())
                        .increment();
            }

            @Override
            public void blocked() {
                blocked.increment();
            }

            @Override
            public void fsynced(long nanos) {
                fsyncs.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        };
    }

    private static int runningCount(VmDriver driver) {
        return (int) driver.inventory().stream()
                .filter(w -> w.state() == dev.spinup.agent.drivers.LocalWorkspace.State.RUNNING)
                .count();
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

    private static EdgeController edge(
            HostAgentConfig config, EventOutbox outbox, RouteGuard guard, MeterRegistry meters) {
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
                guard,
                meters);
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
                    .atWarn()
                    .setMessage("command_records_prune_failed")
                    .addKeyValue("error", e.toString())
                    .log();
        }
    }

    public boolean isConnected() {
        return connection.isConnected();
    }

    /** Whether the control plane refused this host as lost (it then stops every workspace here). */
    public boolean isFenced() {
        return connection.isFenced();
    }

    /** How many times this agent process began executing the command. */
    public int timesExecuted(String commandId) {
        return executor.timesExecuted(commandId);
    }

    /** This agent's meters, in the Prometheus text format by {@code scrape()}. */
    public PrometheusMeterRegistry meters() {
        return meters;
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
        processMeters.close();
        meters.close();
    }
}
