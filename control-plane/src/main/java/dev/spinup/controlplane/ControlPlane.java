package dev.spinup.controlplane;

import dev.spinup.controlplane.metrics.ControlPlaneMetrics;
import dev.spinup.controlplane.agents.AgentEventHandler;
import dev.spinup.controlplane.agents.AgentGrpcService;
import dev.spinup.controlplane.agents.AgentCommands;
import dev.spinup.controlplane.agents.AgentSessions;
import dev.spinup.api.v1.Command;
import dev.spinup.controlplane.agents.CommandOutbox;
import dev.spinup.controlplane.agents.CommandRenderer;
import dev.spinup.controlplane.agents.EdgeRoutes;
import dev.spinup.controlplane.agents.HostIdentityInterceptor;
import dev.spinup.controlplane.grpc.ApiErrorInterceptor;
import dev.spinup.controlplane.grpc.MalformedRequests;
import dev.spinup.controlplane.agents.RefusedEvents;
import dev.spinup.controlplane.pki.ClientCertificateCheck;
import dev.spinup.controlplane.api.WorkspaceGrpcService;
import dev.spinup.controlplane.grpc.AccessLogInterceptor;
import dev.spinup.controlplane.auth.ApiTokens;
import dev.spinup.controlplane.auth.AuthInterceptor;
import dev.spinup.controlplane.postgres.Database;
import dev.spinup.controlplane.postgres.PgNotificationListener;
import dev.spinup.controlplane.fleet.Enrollment;
import dev.spinup.controlplane.store.FleetStore;
import dev.spinup.controlplane.pki.CertificateAuthority;
import dev.spinup.controlplane.fleet.HeartbeatWriter;
import dev.spinup.controlplane.fleet.HostHealth;
import dev.spinup.controlplane.metrics.MetricsServer;
import dev.spinup.controlplane.store.AuditLog;
import dev.spinup.controlplane.steps.AgentSteps;
import dev.spinup.controlplane.transitions.CreateWorkspaceJob;
import dev.spinup.controlplane.transitions.DeleteWorkspaceJob;
import dev.spinup.controlplane.transitions.ArchiveWorkspaceJob;
import dev.spinup.controlplane.transitions.ResizeWorkspaceJob;
import dev.spinup.controlplane.engine.StepHooks;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import dev.spinup.controlplane.transitions.PeriodicSnapshotJob;
import dev.spinup.controlplane.transitions.DomainJobs;
import dev.spinup.controlplane.transitions.RepairWorkspaceJob;
import dev.spinup.controlplane.storage.ObjectStorage;
import dev.spinup.controlplane.transitions.PeriodicSnapshots;
import dev.spinup.controlplane.steps.SnapshotSteps;
import dev.spinup.controlplane.store.SnapshotStore;
import dev.spinup.controlplane.snapshots.SnapshotSweep;
import dev.spinup.controlplane.agents.SnapshotUrls;
import dev.spinup.controlplane.transitions.RestoreWorkspaceJob;
import dev.spinup.controlplane.transitions.SuspendWorkspaceJob;
import dev.spinup.controlplane.engine.OperationDurations;
import dev.spinup.controlplane.engine.OperationEngine;
import dev.spinup.controlplane.engine.OperationRunner;
import dev.spinup.controlplane.store.OperationStore;
import dev.spinup.controlplane.transitions.Placement;
import dev.spinup.controlplane.transitions.WorkspaceService;
import dev.spinup.controlplane.store.WorkspaceStore;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.GrpcSslContexts;
import dev.spinup.api.AgentProtocol;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds one control-plane replica from its config, by hand, and runs it.
 * Several replicas may share one database.
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

    private final Database db;
    private final OperationEngine engine;
    private final AgentSessions sessions;
    private final PgNotificationListener listener;
    private final Server server;
    private final MetricsServer metrics;
    private final HealthStatusManager health;
    private final ExecutorService grpcExecutor;
    private final ApiTokens tokens;

    private final ObjectStorage storage;
    private final PeriodicSnapshots periodicSnapshots;
    private final SnapshotSweep snapshotSweep;
    private final String planTable;
    private final HostHealth hostHealth;
    private final HeartbeatWriter heartbeats;

    /** The largest WorkspaceService request accepted (the agent service takes events up to 16 MiB). */
    static final int MAX_API_REQUEST_BYTES = 1 << 20;

    private ControlPlane(ControlPlaneConfig config, Clock clock, PrometheusMeterRegistry meters, StepHooks hooks,
                         OpenTelemetry otel) {
        Tracer tracer = otel.getTracer("dev.spinup.controlplane");
        ControlPlaneMetrics.configure(meters);
        this.db = new Database(config.database());
        meters.gauge("spinup_db_callers_waiting", db, Database::callersWaiting);
        db.migrate();
        ControlPlaneMetrics.schedulerQueue(db, clock, meters);
        this.storage = new ObjectStorage(config.objectStorage());

        this.tokens = new ApiTokens();
        CommandOutbox outbox = new CommandOutbox();
        EdgeRoutes edgeRoutes = new EdgeRoutes();
        SnapshotUrls snapshotUrls = new SnapshotUrls(storage, config.stepTimeouts().snapshot());
        // The engine (built below, from the jobs, which need the sessions) wakes a job whose command
        // could not be sent.
        AtomicReference<OperationEngine> engineRef = new AtomicReference<>();
        this.sessions = new AgentSessions(db, outbox, new CommandRenderer(Map.of(
                Command.KindCase.APPLY_EDGE_ROUTES, edgeRoutes,
                Command.KindCase.TAKE_SNAPSHOT, snapshotUrls,
                Command.KindCase.RESTORE_SNAPSHOT, snapshotUrls)),
                (tx, jobId) -> engineRef.get().wake(tx, jobId), clock, meters);

        Placement placement = new Placement(config.heartbeatLease(), clock, meters);
        AgentSteps agentSteps = new AgentSteps(new AgentCommands(sessions, outbox), config.stepTimeouts());
        SnapshotSteps snapshotSteps = new SnapshotSteps(agentSteps, storage, meters);
        OperationRunner runner = new OperationRunner(db, List.of(
                new CreateWorkspaceJob(agentSteps),
                new SuspendWorkspaceJob(agentSteps),
                new ArchiveWorkspaceJob(agentSteps, snapshotSteps, clock),
                new RestoreWorkspaceJob(agentSteps, snapshotSteps, placement),
                new ResizeWorkspaceJob(agentSteps, placement),
                new DeleteWorkspaceJob(agentSteps, snapshotSteps.purge("purge_snapshots")),
                new PeriodicSnapshotJob(snapshotSteps, clock),
                new RepairWorkspaceJob(agentSteps),
                DomainJobs.add(agentSteps, clock),
                DomainJobs.remove(agentSteps)),
                clock, meters, hooks, tracer);
        this.planTable = dev.spinup.controlplane.engine.PlanTable.markdown(runner.jobs());
        this.engine = new OperationEngine(db, db.transactionalDataSource(), runner, config.engine(), clock, meters);
        engineRef.set(engine);
        WorkspaceService service = new WorkspaceService(db, placement, engine, runner, config.workspaceDomain(), clock,
                meters, tracer);
        this.hostHealth = new HostHealth(db, config.heartbeatLease(), clock, meters);
        this.periodicSnapshots = new PeriodicSnapshots(db, service, config.snapshotScanInterval(), clock, meters);
        this.snapshotSweep = new SnapshotSweep(db, storage, config.snapshotSweep(), clock, meters);
        this.heartbeats = new HeartbeatWriter(db, meters);
        RefusedEvents refusals = new RefusedEvents(db, clock, meters);
        AgentEventHandler events = new AgentEventHandler(db, heartbeats, outbox, engine::wake, service::repair, clock,
                meters, tracer);

        this.listener = new PgNotificationListener(db, Map.of(
                OperationEngine.NOTIFY_CHANNEL, payload -> engine.checkForDueWork(),
                CommandOutbox.NOTIFY_CHANNEL, payload -> {
                    if (!payload.isEmpty()) {
                        sessions.dispatch(UUID.fromString(payload));
                    }
                }), meters);

        Enrollment enrollment = new Enrollment(db, config.tls().caKey() == null ? null
                : CertificateAuthority.load(config.tls().caCertificate(), config.tls().caKey(), clock), clock, meters);
        ApiErrorInterceptor errors = new ApiErrorInterceptor(meters);
        AccessLogInterceptor accessLog = new AccessLogInterceptor();
        this.health = new HealthStatusManager();
        this.grpcExecutor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            SslContext ssl = GrpcSslContexts.forServer(config.tls().serverCertificate().toFile(),
                            config.tls().serverKey().toFile())
                    .trustManager(ClientCertificateCheck.forCa(config.tls().caCertificate(), meters, clock))
                    // API callers use bearer tokens; agents must present a host certificate (checked per call).
                    .clientAuth(ClientAuth.OPTIONAL)
                    .build();
            this.server = NettyServerBuilder.forAddress(new InetSocketAddress(config.bindAddress(), config.grpcPort()))
                    .sslContext(ssl)
                    .executor(grpcExecutor)
                    .maxInboundMessageSize(AgentProtocol.MAX_EVENT_BYTES)
                    .permitKeepAliveTime(5, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .decompressorRegistry(MalformedRequests.decompressors())
                    .addService(ServerInterceptors.intercept(MalformedRequests.guard(
                            new WorkspaceGrpcService(db, service, config.flavors(),
                                    config.offeredTemplates(), new OperationDurations(db, clock),
                                    config.heartbeatLease(), enrollment, config.workspaceDomain(), clock)
                                    .bindService(), MAX_API_REQUEST_BYTES),
                            errors, new AuthInterceptor(db, tokens), accessLog))
                    .addService(ServerInterceptors.intercept(MalformedRequests.guard(
                            new AgentGrpcService(db, sessions, events, enrollment, refusals, meters).bindService(),
                            AgentProtocol.MAX_EVENT_BYTES),
                            errors, new HostIdentityInterceptor(), accessLog))
                    .addService(health.getHealthService())
                    .addService(ProtoReflectionServiceV1.newInstance())
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up TLS from " + config.tls(), e);
        }
        this.metrics = new MetricsServer(config.bindAddress(), config.metricsPort(), meters);
    }

    /** Builds, migrates the database and starts serving. */
    public static ControlPlane start(ControlPlaneConfig config, Clock clock, PrometheusMeterRegistry meters) {
        return start(config, clock, meters, StepHooks.NONE);
    }

    /** As {@link #start(ControlPlaneConfig, Clock, PrometheusMeterRegistry)}, with step hooks (tests). */
    public static ControlPlane start(ControlPlaneConfig config, Clock clock, PrometheusMeterRegistry meters,
                                     StepHooks hooks) {
        return start(config, clock, meters, hooks, OpenTelemetry.noop());
    }

    /** With tracing: every transition is one trace (the call, each job run and step, the agent's part). */
    public static ControlPlane start(ControlPlaneConfig config, Clock clock, PrometheusMeterRegistry meters,
                                     StepHooks hooks, OpenTelemetry otel) {
        ControlPlane cp = new ControlPlane(config, clock, meters, hooks, otel);
        try {
            cp.listener.start();
            cp.engine.start(List.of(
                    Tasks.recurring("periodic-snapshots", FixedDelay.of(cp.periodicSnapshots.scanInterval()))
                            .execute((instance, context) -> cp.periodicSnapshots.scan()),
                    Tasks.recurring("host-health", FixedDelay.ofSeconds(5))
                            .execute((instance, context) -> cp.hostHealth.check()),
                    Tasks.recurring("snapshot-sweep", FixedDelay.of(cp.snapshotSweep.every()))
                            .execute((instance, context) -> cp.snapshotSweep.sweep())));
            cp.server.start();
        } catch (IOException e) {
            cp.close();
            throw new UncheckedIOException("cannot listen on " + config.bindAddress() + ":" + config.grpcPort(), e);
        }
        cp.health.setStatus("", ServingStatus.SERVING);
        cp.health.setStatus("spinup.v1.WorkspaceService", ServingStatus.SERVING);
        cp.health.setStatus("spinup.v1.AgentService", ServingStatus.SERVING);
        log.info("event=control_plane_started grpc_port={} metrics_port={}", cp.grpcPort(), cp.metricsPort());
        return cp;
    }

    /** Every verb's steps, undos and point of no return, as the README's Markdown table. */
    public String planTable() {
        return planTable;
    }

    /** Sweeps object storage for snapshot objects no record stands for, now (tests; it also runs on its own). */
    public int sweepSnapshotObjects() {
        return snapshotSweep.sweep();
    }

    /** Runs whatever background work is due now (e.g. after a test moved the clock). */
    public void checkForDueWork() {
        engine.checkForDueWork();
    }

    public int grpcPort() {
        return server.getPort();
    }

    public int metricsPort() {
        return metrics.port();
    }

    public Database database() {
        return db;
    }

    public ApiTokens apiTokens() {
        return tokens;
    }

    @Override
    public void close() {
        health.enterTerminalState();
        server.shutdown();
        sessions.close();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        engine.close();
        heartbeats.close();
        listener.close();
        metrics.close();
        grpcExecutor.shutdownNow();
        storage.close();
        db.close();
        log.info("event=control_plane_stopped");
    }
}
