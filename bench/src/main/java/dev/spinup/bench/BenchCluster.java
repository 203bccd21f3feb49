package dev.spinup.bench;

import dev.spinup.agent.HostAgent;
import dev.spinup.agent.HostAgentConfig;
import dev.spinup.agent.commands.CommandHooks;
import dev.spinup.agent.drivers.VmDriver;
import dev.spinup.api.v1.WorkspaceServiceGrpc;
import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.ControlPlaneConfig;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.pki.CertificateAuthority;
import dev.spinup.controlplane.postgres.Database;
import dev.spinup.controlplane.postgres.DatabaseConfig;
import dev.spinup.controlplane.storage.ObjectStorage;
import dev.spinup.dev.EmbeddedS3;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/** A control plane with embedded S3 and {@code hosts} real agents over loopback mTLS, each with the driver {@code drivers} makes for its data directory. */
final class BenchCluster implements AutoCloseable {
    final ControlPlane controlPlane;
    /** Runs the operations' jobs when the cluster was built with them on another replica; else null. */
    final ControlPlane jobReplica;

    final Database db;
    final EmbeddedS3 s3;
    final List<HostAgent> agents = new ArrayList<>();
    final ManagedChannel channel;
    final WorkspaceServiceGrpc.WorkspaceServiceBlockingStub api;
    private final Path dir;
    private final CertificateAuthority ca;
    /** The agents started by {@link #addNoopHostsInTheirOwnJvm}, and how many; null and 0 until then. */
    private ChildJvm agentsJvm;

    private int agentsElsewhere;

    BenchCluster(Path dir, String jdbcUrl, String user, int hosts, Function<Path, VmDriver> drivers) throws Exception {
        this(dir, jdbcUrl, user, hosts, drivers, false);
    }

    /**
     * @param jobsElsewhere the replica that takes the API calls and holds the agents' sessions runs
     *                      no jobs; a second replica on the same database runs them (woken by NOTIFY)
     */
    BenchCluster(
            Path dir, String jdbcUrl, String user, int hosts, Function<Path, VmDriver> drivers, boolean jobsElsewhere)
            throws Exception {
        this(dir, jdbcUrl, user, hosts, drivers, jobsElsewhere, null);
    }

    /**
     * @param localHosts what each host of the {@code local} capacity provider offers (agents in child
     *                   processes under {@code dir/local-hosts}); null: the provider is not offered
     */
    BenchCluster(
            Path dir,
            String jdbcUrl,
            String user,
            int hosts,
            Function<Path, VmDriver> drivers,
            boolean jobsElsewhere,
            Envelope localHosts)
            throws Exception {
        Clock clock = Clock.systemUTC();
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("pki"), "bench CA", clock);
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"))
                .writeTo(dir.resolve("pki/server.crt"), dir.resolve("pki/server.key"));
        s3 = EmbeddedS3.start(dir.resolve("s3"), 0, "bench", "bench-secret", "bench");
        ControlPlaneConfig config = ControlPlaneConfig.defaults(
                        new DatabaseConfig(jdbcUrl, user, null, 20),
                        new ObjectStorage.Config(s3.endpoint(), "us-east-1", "bench", "bench", "bench-secret"),
                        new ControlPlaneConfig.Tls(
                                dir.resolve("pki/server.crt"),
                                dir.resolve("pki/server.key"),
                                dir.resolve("pki/ca.crt"),
                                dir.resolve("pki/ca.key")))
                .withPorts("127.0.0.1", 0, 0);
        if (localHosts != null) {
            int port;
            try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
                port = probe.getLocalPort(); // the agents it starts dial a port known in advance
            }
            config = config.withPorts("127.0.0.1", port, 0)
                    .withLocalHosts(new dev.spinup.controlplane.fleet.LocalHosts.Config(
                            List.of(
                                    ProcessHandle.current().info().command().orElse("java"),
                                    "-XX:TieredStopAtLevel=1",
                                    "-XX:+UseSerialGC",
                                    "-cp",
                                    System.getProperty("java.class.path"),
                                    "dev.spinup.agent.Main"),
                            dir.resolve("local-hosts"),
                            "localhost:" + port,
                            dir.resolve("pki/ca.crt"),
                            localHosts,
                            31000,
                            20));
        }
        controlPlane = ControlPlane.start(
                jobsElsewhere ? withJobThreads(config, 0, "bench-api") : config,
                clock,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        jobReplica = jobsElsewhere
                ? ControlPlane.start(
                        withJobThreads(config, config.engine().threads(), "bench-jobs"),
                        clock,
                        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                : null;
        db = controlPlane.database();
        db.inTransactionVoid(tx -> tx.fleet().ensureRegion("bench", "Bench"));
        this.dir = dir;
        this.ca = ca;
        for (int i = 0; i < hosts; i++) {
            addHost(drivers);
        }
        awaitConnected();
        String token = db.inTransaction(tx -> controlPlane
                .apiTokens()
                .create(
                        tx,
                        Ids.newId(clock),
                        "bench",
                        Set.of(Principal.SCOPE_WORKSPACES, Principal.SCOPE_ADMIN),
                        clock.instant()));
        channel = NettyChannelBuilder.forAddress("localhost", controlPlane.grpcPort())
                .sslContext(GrpcSslContexts.forClient()
                        .trustManager(dir.resolve("pki/ca.crt").toFile())
                        .build())
                .build();
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        api = WorkspaceServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /**
     * Registers a host in region {@code bench} and starts its agent (in this JVM) with the driver
     * {@code drivers} makes for its data directory; call {@link #awaitConnected} before using it.
     */
    HostAgent addHost(Function<Path, VmDriver> drivers) {
        Path hostDir = registerHost();
        HostAgent agent = startAgent(
                hostDir, "localhost:" + controlPlane.grpcPort(), dir.resolve("pki/ca.crt"), drivers.apply(hostDir));
        agents.add(agent);
        return agent;
    }

    /**
     * Registers {@code hosts} hosts and starts their agents, no-op driver, in a JVM of their own
     * ({@link AgentHosts}), then waits until all of them are connected: the control plane's JVM
     * then runs the control plane alone.
     */
    void addNoopHostsInTheirOwnJvm(int hosts) throws Exception {
        if (agentsJvm == null) {
            agentsJvm = ChildJvm.start(
                    dir.resolve("logs/agents.log"),
                    List.of("-Xmx1g"),
                    java.util.Map.of(),
                    AgentHosts.class.getName(),
                    List.of());
        }
        for (int i = 0; i < hosts; i++) {
            Path hostDir = registerHost();
            agentsJvm.send(
                    "start " + hostDir + " localhost:" + controlPlane.grpcPort() + " " + dir.resolve("pki/ca.crt"));
            agentsJvm.await("@started", Duration.ofMinutes(1));
            agentsElsewhere++;
        }
        awaitConnected();
    }

    /**
     * A new host in region {@code bench}, its certificate issued into its data directory, which is
     * returned; numbered by the agents started so far, here and elsewhere.
     */
    private Path registerHost() {
        UUID id = Ids.newId(Clock.systemUTC());
        Path hostDir = dir.resolve("host-" + (agents.size() + agentsElsewhere));
        db.inTransactionVoid(
                tx -> tx.fleet().registerHost(id, "bench", "bench-" + id, new Envelope(100_000, 100_000, 1_000_000)));
        ca.issueHost(id).writeTo(hostDir.resolve("host.crt"), hostDir.resolve("host.key"));
        return hostDir;
    }

    /** An agent for the host whose certificate and key are in {@code hostDir}, dialling {@code controlPlane} (host:port). */
    static HostAgent startAgent(Path hostDir, String controlPlane, Path caCertificate, VmDriver driver) {
        return HostAgent.start(
                new HostAgentConfig(
                        List.of(controlPlane),
                        hostDir.resolve("host.crt"),
                        hostDir.resolve("host.key"),
                        caCertificate,
                        hostDir,
                        null,
                        "127.0.0.1",
                        30000,
                        30999,
                        100_000,
                        100_000,
                        1_000_000,
                        Duration.ofSeconds(10),
                        Duration.ofSeconds(30)),
                Clock.systemUTC(),
                CommandHooks.NONE,
                OpenTelemetry.noop(),
                driver);
    }

    /** Waits (60 s at most) until every agent, here and in the agents' own JVM, has a session. */
    void awaitConnected() throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(60);
        while (!agents.stream().allMatch(HostAgent::isConnected) || connectedElsewhere() < agentsElsewhere) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the agents did not connect");
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    /** CPU the agents' own JVM has used so far; zero without one. */
    Duration agentsCpuTime() {
        return agentsJvm == null ? Duration.ZERO : agentsJvm.cpuTime();
    }

    private long connectedElsewhere() throws InterruptedException {
        if (agentsJvm == null) {
            return 0;
        }
        agentsJvm.send("connected");
        return Long.parseLong(agentsJvm.await("@connected", Duration.ofSeconds(30))[0]);
    }

    long count(String condition) {
        return db.withHandle(
                h -> h.createQuery("SELECT count(*) FROM operations WHERE verb = 'create' AND " + condition)
                        .mapTo(Long.class)
                        .one());
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow();
        agents.forEach(HostAgent::close);
        if (agentsJvm != null) {
            agentsJvm.close();
        }
        if (jobReplica != null) {
            jobReplica.close();
        }
        controlPlane.close();
        s3.close();
    }

    /** One CreateWorkspace (HOBBY) until its operation SUCCEEDED; returns that time, then deletes it the same way. */
    long createToActiveThenDelete(Duration timeout) {
        long started = System.nanoTime();
        String workspaceId = createActive(timeout);
        long took = System.nanoTime() - started;
        delete(workspaceId, timeout);
        return took;
    }

    /** One CreateWorkspace (HOBBY) until its operation SUCCEEDED; returns the workspace's id. */
    String createActive(Duration timeout) {
        return createActive(dev.spinup.api.v1.ProjectTemplate.PROJECT_TEMPLATE_STARTER, timeout);
    }

    String createActive(dev.spinup.api.v1.ProjectTemplate template, Duration timeout) {
        dev.spinup.api.v1.Operation create = create(template);
        awaitSucceeded(create, timeout);
        return create.getWorkspaceId();
    }

    /** One CreateWorkspace (HOBBY) in region {@code bench}; returns its operation at once. */
    dev.spinup.api.v1.Operation create(dev.spinup.api.v1.ProjectTemplate template) {
        return api.createWorkspace(dev.spinup.api.v1.CreateWorkspaceRequest.newBuilder()
                        .setRequestId(UUID.randomUUID().toString())
                        .setExternalWorkspaceId("bench-" + UUID.randomUUID())
                        .setExternalUserId("bench")
                        .setDisplayName("bench")
                        .setRegion("bench")
                        .setFlavor(dev.spinup.api.v1.Flavor.FLAVOR_HOBBY)
                        .setTemplate(template)
                        .build())
                .getOperation();
    }

    void delete(String workspaceId, Duration timeout) {
        awaitSucceeded(
                api.deleteWorkspace(dev.spinup.api.v1.DeleteWorkspaceRequest.newBuilder()
                                .setRequestId(UUID.randomUUID().toString())
                                .setWorkspaceId(workspaceId)
                                .build())
                        .getOperation(),
                timeout);
    }

    private void awaitSucceeded(dev.spinup.api.v1.Operation op, Duration timeout) {
        var get = dev.spinup.api.v1.GetOperationRequest.newBuilder()
                .setOperationId(op.getId())
                .build();
        long deadline = System.nanoTime() + timeout.toNanos();
        dev.spinup.api.v1.Operation last = api.getOperation(get).getOperation();
        while (last.getStatus() == dev.spinup.api.v1.OperationStatus.OPERATION_STATUS_PENDING
                || last.getStatus() == dev.spinup.api.v1.OperationStatus.OPERATION_STATUS_RUNNING) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + op.getVerb() + " " + op.getId());
            }
            LockSupport.parkNanos(Duration.ofMillis(2).toNanos()); // polling the API, bounded by the deadline
            last = api.getOperation(get).getOperation();
        }
        if (last.getStatus() != dev.spinup.api.v1.OperationStatus.OPERATION_STATUS_SUCCEEDED) {
            throw new IllegalStateException(op.getVerb() + " failed: " + last.getError());
        }
    }

    private static ControlPlaneConfig withJobThreads(ControlPlaneConfig config, int threads, String replicaName) {
        var engine = config.engine();
        return config.withEngine(new dev.spinup.controlplane.engine.OperationEngine.Config(
                threads,
                engine.pollingInterval(),
                engine.retryDelay(),
                replicaName,
                engine.heartbeatInterval(),
                engine.missedHeartbeats()));
    }
}
