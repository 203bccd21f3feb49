package dev.spinup.controlplane;

import dev.spinup.api.AgentProtocol;
import dev.spinup.api.v1.Command;
import dev.spinup.controlplane.agents.AgentCommands;
import dev.spinup.controlplane.agents.AgentEventHandler;
import dev.spinup.controlplane.agents.AgentGrpcService;
import dev.spinup.controlplane.agents.AgentSessions;
import dev.spinup.controlplane.agents.CommandOutbox;
import dev.spinup.controlplane.agents.CommandRenderer;
import dev.spinup.controlplane.agents.EdgeRoutes;
import dev.spinup.controlplane.agents.HostIdentityInterceptor;
import dev.spinup.controlplane.agents.RefusedEvents;
import dev.spinup.controlplane.agents.SnapshotUrls;
import dev.spinup.controlplane.api.ApiStack;
import dev.spinup.controlplane.api.WorkspaceGrpcService;
import dev.spinup.controlplane.auth.ApiTokens;
import dev.spinup.controlplane.auth.AuthInterceptor;
import dev.spinup.controlplane.engine.OperationDurations;
import dev.spinup.controlplane.engine.OperationEngine;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.OperationRunner;
import dev.spinup.controlplane.engine.PlanTable;
import dev.spinup.controlplane.engine.StepHooks;
import dev.spinup.controlplane.fleet.AccessKeys;
import dev.spinup.controlplane.fleet.Enrollment;
import dev.spinup.controlplane.fleet.HeartbeatWriter;
import dev.spinup.controlplane.fleet.HostHealth;
import dev.spinup.controlplane.grpc.AccessLogInterceptor;
import dev.spinup.controlplane.grpc.ApiErrorInterceptor;
import dev.spinup.controlplane.grpc.MalformedRequests;
import dev.spinup.controlplane.metrics.ControlPlaneMetrics;
import dev.spinup.controlplane.pki.CertificateAuthority;
import dev.spinup.controlplane.pki.ClientCertificateCheck;
import dev.spinup.controlplane.postgres.Database;
import dev.spinup.controlplane.postgres.PgNotificationListener;
import dev.spinup.controlplane.snapshots.SnapshotSweep;
import dev.spinup.controlplane.steps.AgentSteps;
import dev.spinup.controlplane.steps.SnapshotSteps;
import dev.spinup.controlplane.storage.ObjectStorage;
import dev.spinup.controlplane.store.Tx;
import dev.spinup.controlplane.transitions.ArchiveWorkspaceJob;
import dev.spinup.controlplane.transitions.CapacityWait;
import dev.spinup.controlplane.transitions.CreateWorkspaceJob;
import dev.spinup.controlplane.transitions.DeleteWorkspaceJob;
import dev.spinup.controlplane.transitions.DomainJobs;
import dev.spinup.controlplane.transitions.PeriodicSnapshotJob;
import dev.spinup.controlplane.transitions.PeriodicSnapshots;
import dev.spinup.controlplane.transitions.Placement;
import dev.spinup.controlplane.transitions.RepairWorkspaceJob;
import dev.spinup.controlplane.transitions.ResizeWorkspaceJob;
import dev.spinup.controlplane.transitions.RestoreWorkspaceJob;
import dev.spinup.controlplane.transitions.SuspendWorkspaceJob;
import dev.spinup.controlplane.transitions.WorkspaceService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
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
import java.util.function.BiConsumer;

/**
 * The object graph of one replica, built by hand from its config in the order the layers give:
 * persistence, the agent link, the verbs and their engine, the background work, the servers.
 * Each stage is a method that takes what it needs and returns what later stages use; nothing here
 * starts a thread or a socket ({@link ControlPlane} does that).
 */
final class Wiring {
    final Database db;
    final ObjectStorage storage;
    final ApiTokens tokens;
    final AgentSessions sessions;
    final OperationEngine engine;
    final String planTable;
    final HeartbeatWriter heartbeats;
    final HostHealth hostHealth;
    final dev.spinup.controlplane.transitions.HostLoss hostLoss;
    /** Null when no DNS is published. */
    final dev.spinup.controlplane.fleet.DnsSync dnsSync;

    final dev.spinup.controlplane.fleet.Scaler scaler;
    /** EvacuateHost; also what the scaler calls for a host its provider takes away on its own. */
    private volatile dev.spinup.controlplane.transitions.Evacuation evacuation; // set after the scaler that calls it

    final PeriodicSnapshots periodicSnapshots;
    final SnapshotSweep snapshotSweep;
    final AccessKeys accessKeys;
    final PgNotificationListener listener;
    final HealthStatusManager health = new HealthStatusManager();
    final ExecutorService grpcExecutor = Executors.newVirtualThreadPerTaskExecutor();
    final Server server;
    final dev.spinup.api.Metrics.Endpoint metrics;
    /** The JVM and process meters' hold on the JVM, released at stop. */
    final dev.spinup.api.Metrics.Binding processMeters;

    /** The engine is built after the sessions that must wake it: they reach it through this. */
    private volatile OperationEngine wakeTarget;

    Wiring(
            ControlPlaneConfig config,
            Clock clock,
            PrometheusMeterRegistry meters,
            StepHooks hooks,
            OpenTelemetry otel) {
        Tracer tracer = otel.getTracer("dev.spinup.controlplane");
        this.processMeters = dev.spinup.api.Metrics.standard(meters);
        this.db = new Database(config.database());
        db.pool()
                .setMetricsTrackerFactory(
                        new com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory(meters));
        meters.gauge("spinup_db_callers_waiting", db, Database::callersWaiting);
        db.migrate();
        this.tokens = new ApiTokens(clock);
        ControlPlaneMetrics.schedulerQueue(db, clock, meters);
        this.storage = new ObjectStorage(config.objectStorage());

        BiConsumer<Tx, String> wake = (tx, jobId) -> wakeTarget.wake(tx, jobId);
        CommandOutbox outbox = new CommandOutbox();
        this.sessions = agentSessions(config, outbox, wake, clock, meters);
        Placement placement = new Placement(config.heartbeatLease(), clock, meters);
        dev.spinup.controlplane.fleet.CapacityProvider provider = capacityProvider(config);
        Enrollment enrollment = new Enrollment(
                db,
                config.tls().caKey() == null
                        ? null
                        : CertificateAuthority.load(
                                config.tls().caCertificate(), config.tls().caKey(), clock),
                provider instanceof dev.spinup.controlplane.aws.AsgProvider asg
                        ? asg.attestor().orElse(null)
                        : null,
                clock,
                meters);
        this.scaler = new dev.spinup.controlplane.fleet.Scaler(
                db,
                provider,
                config.flavors(),
                region -> enrollment
                        .createToken(region, java.time.Duration.ofMinutes(10), "system")
                        .token(),
                config.fleetTimings(),
                wake,
                hooks,
                host -> this.evacuation.evacuate(host, "system"),
                clock,
                meters);
        AgentCommands agentCommands = new AgentCommands(sessions, outbox);
        this.accessKeys =
                new AccessKeys(db, agentCommands, clock, AccessKeys.DEFAULT_ROTATION, AccessKeys.DEFAULT_LEAD);
        OperationRunner runner = new OperationRunner(
                db,
                jobs(
                        new AgentSteps(agentCommands, config.stepTimeouts()),
                        placement,
                        new CapacityWait(
                                placement,
                                config.stepTimeouts().capacity(),
                                config.fleetTimings().capacityLookAgain(),
                                scaler::nudge,
                                meters),
                        clock,
                        meters),
                clock,
                meters,
                hooks,
                tracer);
        this.planTable = PlanTable.markdown(runner.jobs());
        this.engine = new OperationEngine(db, db.transactionalDataSource(), runner, config.engine(), clock, meters);
        this.wakeTarget = engine;
        WorkspaceService service =
                new WorkspaceService(db, placement, engine, runner, config.workspaceDomain(), clock, meters, tracer);

        this.evacuation = new dev.spinup.controlplane.transitions.Evacuation(db, service, agentCommands, clock);
        this.hostHealth = new HostHealth(db, config.heartbeatLease(), clock, meters);
        dev.spinup.controlplane.fleet.DnsSync.registerMeters(meters);
        this.dnsSync = config.dns() == null
                ? null
                : new dev.spinup.controlplane.fleet.DnsSync(
                        db, config.dns().publisher(), config.workspaceDomain(), clock, meters);
        this.hostLoss = new dev.spinup.controlplane.transitions.HostLoss(
                db,
                service,
                config.heartbeatLease(),
                config.fleetTimings().hostLossGrace(),
                wake,
                agentCommands,
                clock,
                meters);
        this.periodicSnapshots = new PeriodicSnapshots(db, service, config.snapshotScanInterval(), clock, meters);
        this.snapshotSweep = new SnapshotSweep(db, storage, config.snapshotSweep(), clock, meters);
        this.heartbeats = new HeartbeatWriter(db, wake, meters);
        this.listener = new PgNotificationListener(
                db,
                Map.of(
                        OperationEngine.NOTIFY_CHANNEL, payload -> engine.checkForDueWork(),
                        CommandOutbox.NOTIFY_CHANNEL,
                                payload -> {
                                    if (!payload.isEmpty()) {
                                        sessions.dispatch(UUID.fromString(payload));
                                    }
                                },
                        dev.spinup.controlplane.transitions.HostLoss.NOTIFY_CHANNEL,
                                payload -> fence(UUID.fromString(payload))),
                meters);

        AgentEventHandler events =
                new AgentEventHandler(db, heartbeats, outbox, engine::wake, service::repair, clock, meters, tracer);
        this.server = grpcServer(
                config,
                clock,
                meters,
                otel,
                new WorkspaceGrpcService(
                        db,
                        service,
                        config.flavors(),
                        config.offeredTemplates(),
                        new OperationDurations(db, clock),
                        config.heartbeatLease(),
                        enrollment,
                        config.workspaceDomain(),
                        accessKeys,
                        config.edgeScheme(),
                        tokens,
                        hostLoss,
                        evacuation,
                        clock),
                new AgentGrpcService(db, sessions, events, enrollment, new RefusedEvents(db, clock, meters), meters));
        this.metrics = new dev.spinup.api.Metrics.Endpoint(
                config.bindAddress(),
                config.metricsPort(),
                meters,
                new dev.spinup.controlplane.fleet.RegionGauges(db, config.flavors(), meters));
    }

    /** A host was lost: its session on this replica, if any, ends, and its agent is told why. */
    private void fence(UUID host) {
        String why = db.read(tx -> tx.fleet().findHost(host))
                .map(dev.spinup.controlplane.core.Host::stateReason)
                .orElse("");
        sessions.fence(
                host,
                dev.spinup.controlplane.grpc.GrpcErrors.toStatus(
                        dev.spinup.controlplane.agents.AgentGrpcService.lost(host, why)));
    }

    /** Sessions complete each command as it is sent: a host's routing table, presigned snapshot URLs. */
    private AgentSessions agentSessions(
            ControlPlaneConfig config,
            CommandOutbox outbox,
            BiConsumer<Tx, String> wake,
            Clock clock,
            PrometheusMeterRegistry meters) {
        EdgeRoutes edgeRoutes = new EdgeRoutes(config.workspaceDomain());
        SnapshotUrls snapshotUrls =
                new SnapshotUrls(storage, config.stepTimeouts().snapshot());
        return new AgentSessions(
                db,
                outbox,
                new CommandRenderer(Map.of(
                        Command.KindCase.APPLY_EDGE_ROUTES, edgeRoutes,
                        Command.KindCase.TAKE_SNAPSHOT, snapshotUrls,
                        Command.KindCase.RESTORE_SNAPSHOT, snapshotUrls)),
                wake,
                clock,
                meters);
    }

    /** The capacity provider this replica offers: local agents, an Auto Scaling group per region, or none. */
    private static dev.spinup.controlplane.fleet.CapacityProvider capacityProvider(ControlPlaneConfig config) {
        if (config.localHosts() != null) {
            return new dev.spinup.controlplane.fleet.LocalProvider(
                    new dev.spinup.controlplane.fleet.LocalHosts(config.localHosts()));
        }
        return config.asg() == null ? null : new dev.spinup.controlplane.aws.AsgProvider(config.asg());
    }

    /** Every verb, each with its plan. */
    private List<OperationJob> jobs(
            AgentSteps agent, Placement placement, CapacityWait capacity, Clock clock, PrometheusMeterRegistry meters) {
        SnapshotSteps snapshots = new SnapshotSteps(agent, storage, meters);
        return List.of(
                new CreateWorkspaceJob(agent, snapshots, capacity),
                new SuspendWorkspaceJob(agent),
                new ArchiveWorkspaceJob(agent, snapshots, clock),
                new RestoreWorkspaceJob(agent, snapshots, placement, capacity),
                new ResizeWorkspaceJob(agent, placement),
                new DeleteWorkspaceJob(agent, snapshots.purge("purge_snapshots")),
                new PeriodicSnapshotJob(snapshots, clock),
                new RepairWorkspaceJob(agent),
                new dev.spinup.controlplane.transitions.RecoverWorkspaceJob(
                        agent, snapshots, placement, capacity, meters),
                new dev.spinup.controlplane.transitions.EvacuateWorkspaceJob(agent, snapshots, placement, clock),
                DomainJobs.add(agent, clock),
                DomainJobs.remove(agent),
                DomainJobs.sharing(agent));
    }

    /**
     * One port for both services over TLS. API callers use bearer tokens; agents must present a
     * host certificate (checked per call), so client certificates are optional at the handshake.
     */
    private Server grpcServer(
            ControlPlaneConfig config,
            Clock clock,
            PrometheusMeterRegistry meters,
            OpenTelemetry otel,
            WorkspaceGrpcService workspaces,
            AgentGrpcService agents) {
        ApiErrorInterceptor errors = new ApiErrorInterceptor(meters);
        AccessLogInterceptor accessLog = new AccessLogInterceptor();
        try {
            SslContext ssl = GrpcSslContexts.forServer(
                            config.tls().serverCertificate().toFile(),
                            config.tls().serverKey().toFile())
                    .trustManager(ClientCertificateCheck.forCa(config.tls().caCertificate(), meters, clock))
                    .clientAuth(ClientAuth.OPTIONAL)
                    .build();
            return NettyServerBuilder.forAddress(new InetSocketAddress(config.bindAddress(), config.grpcPort()))
                    .sslContext(ssl)
                    .executor(grpcExecutor)
                    .maxInboundMessageSize(AgentProtocol.MAX_EVENT_BYTES)
                    .permitKeepAliveTime(5, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .decompressorRegistry(MalformedRequests.decompressors())
                    // grpc_server_* per service and method: requests, responses, processing time by status
                    .intercept(new io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor(meters))
                    .addService(ApiStack.wrap(
                            workspaces.bindService(), errors, new AuthInterceptor(db, tokens), accessLog, otel))
                    .addService(ServerInterceptors.intercept(
                            MalformedRequests.guard(agents.bindService(), AgentProtocol.MAX_EVENT_BYTES),
                            errors,
                            new HostIdentityInterceptor(),
                            accessLog))
                    .addService(health.getHealthService())
                    .addService(ProtoReflectionServiceV1.newInstance())
                    // the same index under v1alpha, which older grpcurl, Postman, evans and grpc-js
                    // tools speak exclusively
                    .addService(ProtoReflectionService.newInstance())
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up TLS from " + config.tls(), e);
        }
    }
}
