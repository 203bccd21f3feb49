package dev.spinup.testing;

import dev.spinup.agent.HostAgent;
import dev.spinup.agent.HostAgentConfig;
import dev.spinup.agent.commands.CommandHooks;
import dev.spinup.agent.drivers.QemuVmDriver;
import dev.spinup.agent.edge.CaddyEdge;
import dev.spinup.api.v1.WorkspaceServiceGrpc;
import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.ControlPlaneConfig;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.engine.OperationEngine;
import dev.spinup.controlplane.engine.StepHooks;
import dev.spinup.controlplane.engine.StepTimeouts;
import dev.spinup.controlplane.postgres.Database;
import dev.spinup.controlplane.postgres.DatabaseConfig;
import dev.spinup.controlplane.storage.ObjectStorage;
import dev.spinup.dev.EmbeddedS3;
import dev.spinup.edge.EdgeSettings;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A running SpinUp for tests: a real control plane (real gRPC over TLS on a free port, real
 * Postgres, db-scheduler) and any number of real host agents connected over mutual TLS, each with
 * the process driver running real child processes. Everything lives under one work directory.
 */
public final class SpinUpCluster implements AutoCloseable {
    public static final String REGION = "test-region";

    public static final String BUCKET = "snapshots";
    /** The local provider's hosts take workspace ports from here, 20 each (below the kernel's ephemeral range). */
    private static final int LOCAL_HOST_PORTS = 28_000;

    private final Path dir;
    private final EmbeddedS3 s3;
    private final TestPki pki;
    private final ClientChannels channels;
    private final AgentLauncher agents;
    private final ControlPlane controlPlane;
    private final ControlPlaneConfig config;
    private final StepHooks hooks;
    private final List<ControlPlane> replicas = new ArrayList<>();
    private static final String ADMIN_TOKEN_NAME = "test-admin";
    private final String adminToken;
    private final String workspacesToken;
    private final Clock clock;

    /** A host with its agent; {@code dataDir} holds its workspaces. */
    /** A host of the cluster; {@code options} is how its agent was configured, kept for restarts. */
    public record TestHost(UUID id, HostAgent agent, Path dataDir, UnaryOperator<HostAgentConfig> options) {}

    private SpinUpCluster(Builder b) {
        this.dir = b.dir;
        this.clock = b.clock;
        this.pki = new TestPki(dir.resolve("pki"), clock);
        this.channels = new ClientChannels(pki.caCertificate());
        try {
            this.s3 = EmbeddedS3.start(dir.resolve("s3"), 0, "test-access", "test-secret", BUCKET);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the embedded S3", e);
        }
        ControlPlaneConfig config = ControlPlaneConfig.defaults(
                        b.database,
                        new ObjectStorage.Config(s3.endpoint(), "us-east-1", BUCKET, "test-access", "test-secret"),
                        pki.tls())
                .withPorts("127.0.0.1", 0, 0);
        // Poll far less often than any test waits: operations must be driven by the immediate
        // wake-ups (after commit, on agent results, by NOTIFY), never by db-scheduler's polling.
        config = config.withEngine(new OperationEngine.Config(
                config.engine().threads(),
                b.pollingInterval,
                config.engine().retryDelay(),
                "test-replica-" + UUID.randomUUID(),
                b.jobHeartbeat,
                config.engine().missedHeartbeats()));
        if (b.stepTimeouts != null) {
            config = config.withStepTimeouts(b.stepTimeouts);
        }
        if (b.offeredTemplates != null) {
            config = config.withOfferedTemplates(b.offeredTemplates);
        }
        if (b.snapshotSweep != null) {
            config = config.withSnapshotSweep(b.snapshotSweep);
        }
        if (b.asg != null) {
            config = config.withAsg(b.asg);
        }
        if (b.fleetTimings != null) {
            config = config.withFleetTimings(b.fleetTimings);
        }
        if (b.dns != null) {
            config = config.withDns(b.dns);
        }
        if (b.localHosts != null) {
            // the local provider's agents dial a port known before the control plane starts
            int grpcPort = Ports.free();
            config = config.withPorts("127.0.0.1", grpcPort, 0)
                    .withLocalHosts(new dev.spinup.controlplane.fleet.LocalHosts.Config(
                            ChildProcesses.agentCommand(),
                            localHostsDir(),
                            "localhost:" + grpcPort,
                            pki.caCertificate(),
                            b.localHosts,
                            LOCAL_HOST_PORTS,
                            20));
        }
        this.config = config;
        this.hooks = b.hooks;
        this.controlPlane = ControlPlane.start(
                config, clock, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), b.hooks, b.openTelemetry);
        this.agents = new AgentLauncher(dir, pki, controlPlane, clock, b.agentHooks, b.agentHeartbeat, b.openTelemetry);
        replicas.add(controlPlane);
        Database db = controlPlane.database();
        db.inTransactionVoid(tx -> tx.fleet().ensureRegion(REGION, "Test region"));
        this.adminToken = db.inTransaction(tx -> controlPlane
                .apiTokens()
                .create(
                        tx,
                        Ids.newId(clock),
                        ADMIN_TOKEN_NAME,
                        Set.of(Principal.SCOPE_ADMIN, Principal.SCOPE_WORKSPACES),
                        clock.instant()));
        this.workspacesToken = db.inTransaction(tx -> controlPlane
                .apiTokens()
                .create(tx, Ids.newId(clock), "test-product", Set.of(Principal.SCOPE_WORKSPACES), clock.instant()));
    }

    public static Builder builder(DatabaseConfig database, Path dir) {
        return new Builder(database, dir);
    }

    public static final class Builder {
        private final DatabaseConfig database;
        private final Path dir;
        private Clock clock = Clock.systemUTC();
        private StepTimeouts stepTimeouts;
        private Duration pollingInterval = Duration.ofMinutes(2);
        private Duration jobHeartbeat = Duration.ofSeconds(5);
        private StepHooks hooks = StepHooks.NONE;
        private CommandHooks agentHooks = CommandHooks.NONE;
        private Duration agentHeartbeat = Duration.ofSeconds(10);
        private OpenTelemetry openTelemetry = OpenTelemetry.noop();
        private Set<dev.spinup.controlplane.core.ProjectTemplate> offeredTemplates;
        private dev.spinup.controlplane.snapshots.SnapshotSweep.Config snapshotSweep;
        private Envelope localHosts;
        private dev.spinup.controlplane.aws.AsgProvider.Config asg;
        private dev.spinup.controlplane.fleet.FleetTimings fleetTimings;
        private dev.spinup.controlplane.dns.DnsConfig dns;

        private Builder(DatabaseConfig database, Path dir) {
            this.database = database;
            this.dir = dir;
        }

        /** Offer only these templates (default: all). */
        public Builder offeredTemplates(Set<dev.spinup.controlplane.core.ProjectTemplate> templates) {
            this.offeredTemplates = templates;
            return this;
        }

        /** How the sweep of unreferenced snapshot objects runs (default: hourly, 24 h grace). */
        public Builder snapshotSweep(dev.spinup.controlplane.snapshots.SnapshotSweep.Config sweep) {
            this.snapshotSweep = sweep;
            return this;
        }

        /**
         * Offers the {@code local} capacity provider: regions set to it grow with real agents in
         * child processes, each offering {@code capacity} (see {@link #localHostsDir()}).
         */
        public Builder localHosts(Envelope capacity) {
            this.localHosts = capacity;
            return this;
        }

        /** Offers the {@code aws-asg} capacity provider (against a stand-in for AWS, in tests). */
        public Builder asg(dev.spinup.controlplane.aws.AsgProvider.Config asg) {
            this.asg = asg;
            return this;
        }

        /** Publishes the workspaces' names by RFC 2136 (default: none). */
        public Builder dns(dev.spinup.controlplane.dns.DnsConfig dns) {
            this.dns = dns;
            return this;
        }

        /** How long the fleet's background work waits (default: production's). */
        public Builder fleetTimings(dev.spinup.controlplane.fleet.FleetTimings timings) {
            this.fleetTimings = timings;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder agentHeartbeat(Duration interval) {
            this.agentHeartbeat = interval;
            return this;
        }

        public Builder hooks(StepHooks hooks) {
            this.hooks = hooks;
            return this;
        }

        /** Hooks inside every in-process agent's command execution (e.g. to make a command fail). */
        public Builder agentHooks(CommandHooks hooks) {
            this.agentHooks = hooks;
            return this;
        }

        /** Traces of the control plane and of every agent go here. */
        public Builder openTelemetry(OpenTelemetry otel) {
            this.openTelemetry = otel;
            return this;
        }

        /** How often a replica heartbeats the jobs it runs (four missed: another takes them over). */
        public Builder jobHeartbeat(Duration interval) {
            this.jobHeartbeat = interval;
            return this;
        }

        public Builder pollingInterval(Duration interval) {
            this.pollingInterval = interval;
            return this;
        }

        public Builder stepTimeouts(StepTimeouts timeouts) {
            this.stepTimeouts = timeouts;
            return this;
        }

        public SpinUpCluster start() {
            return new SpinUpCluster(this);
        }
    }

    /** Where {@code host}'s edge is reached ({@code address:port}), as its agent would report it at hello if it ran one. */
    public void setEdgeAddress(UUID host, String address) {
        database().withHandle(h -> h.execute("UPDATE hosts SET edge_address = ? WHERE id = ?", address, host));
    }

    /** Starts another control-plane replica on the same database, object storage and CA. */
    public ControlPlane startReplica() {
        return startReplica(true);
    }

    /** @param runJobs false: an API/agent-only replica */
    public ControlPlane startReplica(boolean runJobs) {
        ControlPlane replica = ControlPlane.start(
                config.withEngine(new OperationEngine.Config(
                        runJobs ? config.engine().threads() : 0,
                        config.engine().pollingInterval(),
                        config.engine().retryDelay(),
                        "test-replica-" + UUID.randomUUID(),
                        config.engine().heartbeatInterval(),
                        config.engine().missedHeartbeats())),
                clock,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                hooks);
        replicas.add(replica);
        return replica;
    }

    /** A product client talking to {@code replica}. */
    public WorkspaceServiceGrpc.WorkspaceServiceBlockingStub product(ControlPlane replica) {
        return client(channels.shared(replica), workspacesToken);
    }

    /** Registers a host in the test region, issues its certificate, starts its agent and waits until it is connected. */
    public TestHost startAgent(Envelope capacity) {
        return startAgent(capacity, (Path) null);
    }

    /** Like {@link #startAgent(Envelope)}, with a guest directory of the test's own (null: the shipped one). */
    public TestHost startAgent(Envelope capacity, Path guestDir) {
        return startAgent(capacity, guestDir, hostDir -> {});
    }

    /** Something to do to the host's data directory before its agent starts. */
    @FunctionalInterface
    public interface HostSetup {
        void prepare(Path hostDataDir) throws IOException;
    }

    public TestHost startAgent(Envelope capacity, Path guestDir, HostSetup setup) {
        return startAgent(capacity, guestDir, setup, List.of(controlPlane));
    }

    /** An agent whose control-plane list is {@code targets}, tried in turn. */
    public TestHost startAgentOn(Envelope capacity, List<ControlPlane> targets) {
        return startAgent(capacity, null, hostDir -> {}, targets);
    }

    private TestHost startAgent(Envelope capacity, Path guestDir, HostSetup setup, List<ControlPlane> targets) {
        RegisteredHost registered = registerHost(capacity);
        try {
            setup.prepare(registered.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return agents.start(registered, guestDir, capacity, targets, c -> c, null);
    }

    /**
     * A host whose real agent runs workspaces with {@code driver} (e.g. the no-op driver, for tests
     * of the engine and the agent link at speed, with nothing behind the workspaces).
     */
    public TestHost startAgentWithDriver(Envelope capacity, dev.spinup.agent.drivers.VmDriver driver) {
        return agents.start(registerHost(capacity), null, capacity, List.of(controlPlane), c -> c, driver);
    }

    /**
     * A host whose agent runs a real Caddy as its edge (plain HTTP on a free loopback port; the
     * address is {@code host.agent().edge().address()}), with a guest directory of the test's own
     * (null: the shipped one).
     */
    public TestHost startAgentWithEdge(Envelope capacity, Path guestDir) {
        return startAgentWithEdge(capacity, guestDir, EdgeSettings.Tls.OFF);
    }

    /** With {@code tls} INTERNAL the edge serves HTTPS with certificates from Caddy's local CA. */
    public TestHost startAgentWithEdge(Envelope capacity, Path guestDir, EdgeSettings.Tls tls) {
        RegisteredHost registered = registerHost(capacity);
        HostAgentConfig.Edge edge = edge(registered, tls);
        return agents.start(registered, guestDir, capacity, List.of(controlPlane), c -> c.withEdge(edge), null);
    }

    /**
     * A host whose workspaces each run the IDE beside their app (code-server, built once by
     * {@link CodeServer}), behind a real Caddy edge as {@link #startAgentWithEdge} runs it; new
     * npm projects get the build's node_modules and run their dev servers.
     */
    public TestHost startAgentWithIde(Envelope capacity) {
        Path codeServer = CodeServer.build();
        RegisteredHost registered = registerHost(capacity);
        HostAgentConfig.Edge edge = edge(registered, EdgeSettings.Tls.OFF);
        return agents.start(
                registered,
                null,
                capacity,
                List.of(controlPlane),
                c -> c.withCodeServer(codeServer).withEdge(edge).withTemplateDeps(templateDeps()),
                null);
    }

    /** The npm templates' node_modules the build made (vm-base-config/target/template-deps), if it did. */
    private static Path templateDeps() {
        Path deps = Checkout.root().resolve("vm-base-config/target/template-deps");
        return Files.isDirectory(deps) ? deps : null;
    }

    private static HostAgentConfig.Edge edge(RegisteredHost host, EdgeSettings.Tls tls) {
        return new HostAgentConfig.Edge(
                new EdgeSettings(
                        "127.0.0.1:" + Ports.free(), "127.0.0.1:" + Ports.free(), tls, null, 30, "host-" + host.id()),
                CaddyEdge.findBinary("caddy"));
    }

    /**
     * A host whose agent runs workspaces as qemu VMs booting {@code image} (see {@link QemuImage}),
     * with TCG or KVM as the machine allows, a start timeout fit for software emulation and a
     * Caddy edge (no TLS) in front of its VMs.
     */
    public TestHost startAgentWithQemu(Envelope capacity, Path image, Duration startTimeout) {
        RegisteredHost registered = registerHost(capacity);
        HostAgentConfig.Edge edge = edge(registered, EdgeSettings.Tls.OFF);
        return agents.start(
                registered,
                null,
                capacity,
                List.of(controlPlane),
                c -> c.withStartTimeout(startTimeout)
                        .withQemu(new HostAgentConfig.Qemu(image, QemuVmDriver.Accel.AUTO))
                        .withEdge(edge),
                null);
    }

    /** A host in the database with its certificate ({@code host.crt}, {@code host.key}) in its data directory. */
    public record RegisteredHost(UUID id, Path dataDir) {}

    /** Registers a host and issues its certificate, for an agent the test runs itself (e.g. as a child JVM). */
    public RegisteredHost registerHost(Envelope capacity) {
        return agents.register(capacity);
    }

    /** A certificate of this cluster's CA for a host id the database does not know (it was never registered). */
    public RegisteredHost unregisteredHost() {
        return agents.unregistered();
    }

    /** A channel to the control plane presenting the client certificate {@code certificate} (with its key). */
    public ManagedChannel channelPresenting(Path certificate, Path key) {
        return channels.presenting(controlPlane, certificate, key);
    }

    /** The server's own certificate and key (e.g. to offer it where a client certificate belongs). */
    public Path serverCertificate() {
        return pki.serverCertificate();
    }

    public Path serverKey() {
        return pki.serverKey();
    }

    /** The admin bearer token (for tests that call the API through a channel of their own). */
    /** Who the admin client's calls are by, as audit entries and host states name it. */
    public String adminActor() {
        return "admin:" + ADMIN_TOKEN_NAME;
    }

    public String adminToken() {
        return adminToken;
    }

    /**
     * A channel to the control plane presenting {@code host}'s certificate, as its agent's would,
     * for a test that speaks the agent protocol itself. Closed with the cluster.
     */
    public ManagedChannel hostChannel(RegisteredHost host) {
        return channelPresenting(
                host.dataDir().resolve("host.crt"), host.dataDir().resolve("host.key"));
    }

    /**
     * Stops the host's agent the way a crash would for its commands in flight (no results are
     * recorded for them) and starts a new agent process on the same data directory.
     */
    public TestHost restartAgent(TestHost host, Path guestDir, Envelope capacity) {
        return agents.restart(host, guestDir, capacity, List.of(controlPlane));
    }

    public WorkspaceServiceGrpc.WorkspaceServiceBlockingStub admin() {
        return client(adminToken);
    }

    /** The product client's bearer token (for tests that must look for it). */
    public String productToken() {
        return workspacesToken;
    }

    /** A product backend's client: the workspaces scope only. */
    public WorkspaceServiceGrpc.WorkspaceServiceBlockingStub product() {
        return client(workspacesToken);
    }

    public WorkspaceServiceGrpc.WorkspaceServiceBlockingStub anonymous() {
        return WorkspaceServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public WorkspaceServiceGrpc.WorkspaceServiceBlockingStub client(String token) {
        return client(channel(), token);
    }

    /** A WorkspaceService client on {@code channel} that sends "authorization: Bearer {@code token}". */
    public static WorkspaceServiceGrpc.WorkspaceServiceBlockingStub client(ManagedChannel channel, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return WorkspaceServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Stops a replica as a crash would look to its agents: its connections drop. */
    public void stopReplica(ControlPlane replica) {
        replica.close();
        replicas.remove(replica);
        channels.forget(replica);
    }

    /** The shared TLS channel to the control plane: it trusts the test CA and presents no client certificate. */
    public ManagedChannel channel() {
        return channels.shared(controlPlane);
    }

    /** The embedded S3's endpoint (to write objects as another client would). */
    public java.net.URI s3Endpoint() {
        return s3.endpoint();
    }

    /** Where the embedded S3 keeps object {@code key} of the snapshot bucket on disk. */
    public Path storedObject(String key) {
        return dir.resolve("s3").resolve(BUCKET).resolve(key);
    }

    public Path caCertificate() {
        return pki.caCertificate();
    }

    public ControlPlane controlPlane() {
        return controlPlane;
    }

    public Database database() {
        return controlPlane.database();
    }

    public int metricsPort() {
        return controlPlane.metricsPort();
    }

    public List<TestHost> hosts() {
        return agents.hosts();
    }

    /** Makes region {@code id} (if it is new), grown by {@code provider} (local, aws-asg). */
    public String elasticRegion(String id, String provider) {
        database().inTransactionVoid(tx -> {
            tx.fleet().ensureRegion(id, id);
            tx.fleet().setProvider(id, provider);
        });
        return id;
    }

    /**
     * Sets a region's capacity through the admin API: at most {@code maxHosts}, room for {@code
     * headroom} HOBBY workspaces kept free, empty hosts retired after {@code scaleInCoolDown}.
     */
    public void setRegionCapacity(String region, int maxHosts, int headroom, Duration scaleInCoolDown) {
        admin().setRegionCapacity(dev.spinup.api.v1.SetRegionCapacityRequest.newBuilder()
                .setRegion(region)
                .setCapacity(dev.spinup.api.v1.RegionCapacity.newBuilder()
                        .setMaxHosts(maxHosts)
                        .setHeadroomWorkspaces(headroom)
                        .setHeadroomFlavor(dev.spinup.api.v1.Flavor.FLAVOR_HOBBY)
                        .setScaleInCoolDown(
                                com.google.protobuf.Duration.newBuilder().setSeconds(scaleInCoolDown.toSeconds())))
                .build());
    }

    /** Where the local provider's hosts have their directories (agent.pid, agent.log, their workspaces). */
    public Path localHostsDir() {
        return dir.resolve("local-hosts");
    }

    /** Stops everything, including every workspace process the agents started. */
    @Override
    public void close() {
        channels.close();
        agents.close();
        stopLocalHosts();
        for (ControlPlane replica : replicas) {
            replica.close();
        }
        try {
            s3.close();
        } catch (Exception e) {
            // the work directory is removed anyway
        }
    }

    /** Kills every local-provider agent with what it started (its workspaces run in their own sessions). */
    private void stopLocalHosts() {
        if (!Files.isDirectory(localHostsDir())) {
            return;
        }
        try (var hosts = Files.list(localHostsDir())) {
            hosts.map(h -> h.resolve("agent.pid"))
                    .flatMap(f -> ChildProcesses.pidIn(f).stream())
                    .flatMap(pid -> ProcessHandle.of(pid).stream())
                    .forEach(ChildProcesses::killTree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
