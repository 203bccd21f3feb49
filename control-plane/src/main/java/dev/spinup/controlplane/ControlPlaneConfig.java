package dev.spinup.controlplane;

import static java.util.Objects.requireNonNull;

import dev.spinup.controlplane.core.FlavorCatalog;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.engine.OperationEngine;
import dev.spinup.controlplane.engine.StepTimeouts;
import dev.spinup.controlplane.postgres.DatabaseConfig;
import dev.spinup.controlplane.snapshots.SnapshotSweep;
import dev.spinup.controlplane.storage.ObjectStorage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * Everything a control-plane replica needs to start. Ports may be 0 (pick a free one), which tests use.
 *
 * @param workspaceDomain each workspace answers at {@code <workspace id>.<workspaceDomain>} on its host's edge
 * @param edgeScheme      how browsers reach the edges ({@code http} or {@code https}): the scheme of access grant URLs
 * @param heartbeatLease  a host whose last heartbeat is older than this gets no placements
 * @param localHosts      where the {@code local} capacity provider starts agents; null: it is not offered
 * @param asg             the {@code aws-asg} capacity provider's groups; null: it is not offered
 */
public record ControlPlaneConfig(
        String bindAddress,
        int grpcPort,
        int metricsPort,
        DatabaseConfig database,
        ObjectStorage.Config objectStorage,
        Tls tls,
        FlavorCatalog flavors,
        Set<ProjectTemplate> offeredTemplates,
        String workspaceDomain,
        String edgeScheme,
        Duration heartbeatLease,
        OperationEngine.Config engine,
        StepTimeouts stepTimeouts,
        Duration snapshotScanInterval,
        SnapshotSweep.Config snapshotSweep,
        dev.spinup.controlplane.fleet.LocalHosts.Config localHosts,
        dev.spinup.controlplane.aws.AsgProvider.Config asg,
        dev.spinup.controlplane.fleet.FleetTimings fleetTimings,
        dev.spinup.controlplane.dns.DnsConfig dns) {

    /**
     * PEM files: the server's certificate and key, and the CA that signs host (client) certificates.
     * {@code caKey} (may be null) lets this replica sign certificates for enrolling hosts.
     */
    public record Tls(Path serverCertificate, Path serverKey, Path caCertificate, Path caKey) {
        public Tls(Path serverCertificate, Path serverKey, Path caCertificate) {
            this(serverCertificate, serverKey, caCertificate, null);
        }

        public Tls {
            requireNonNull(serverCertificate, "serverCertificate");
            requireNonNull(serverKey, "serverKey");
            requireNonNull(caCertificate, "caCertificate");
        }
    }

    public ControlPlaneConfig {
        requireNonNull(bindAddress, "bindAddress");
        requireNonNull(database, "database");
        requireNonNull(objectStorage, "objectStorage");
        requireNonNull(tls, "tls");
        requireNonNull(flavors, "flavors");
        offeredTemplates = Set.copyOf(offeredTemplates);
        requireNonNull(workspaceDomain, "workspaceDomain");
        if (!"http".equals(edgeScheme) && !"https".equals(edgeScheme)) {
            throw new IllegalArgumentException("the edge scheme is http or https, not " + edgeScheme);
        }
        requireNonNull(heartbeatLease, "heartbeatLease");
        requireNonNull(engine, "engine");
        requireNonNull(stepTimeouts, "stepTimeouts");
        requireNonNull(snapshotScanInterval, "snapshotScanInterval");
        requireNonNull(snapshotSweep, "snapshotSweep");
        requireNonNull(fleetTimings, "fleetTimings");
    }

    /** Production defaults around the given database and TLS files. */
    public static ControlPlaneConfig defaults(DatabaseConfig database, ObjectStorage.Config objectStorage, Tls tls) {
        return new ControlPlaneConfig(
                "0.0.0.0",
                8443,
                9090,
                database,
                objectStorage,
                tls,
                FlavorCatalog.defaults(),
                java.util.EnumSet.allOf(ProjectTemplate.class),
                "workspaces.localhost",
                "http",
                Duration.ofSeconds(40),
                new OperationEngine.Config(10, Duration.ofSeconds(5), Duration.ofSeconds(2), hostName()),
                StepTimeouts.defaults(),
                Duration.ofMinutes(1),
                SnapshotSweep.Config.defaults(),
                null,
                null,
                dev.spinup.controlplane.fleet.FleetTimings.defaults(),
                null);
    }

    public ControlPlaneConfig withPorts(String bindAddress, int grpcPort, int metricsPort) {
        return with(b -> {
            b.bindAddress = bindAddress;
            b.grpcPort = grpcPort;
            b.metricsPort = metricsPort;
        });
    }

    /** The templates CreateWorkspace accepts (others: UNKNOWN_TEMPLATE); every host must carry them. */
    public ControlPlaneConfig withOfferedTemplates(Set<ProjectTemplate> templates) {
        return with(b -> b.offeredTemplates = templates);
    }

    public ControlPlaneConfig withEngine(OperationEngine.Config engine) {
        return with(b -> b.engine = engine);
    }

    public ControlPlaneConfig withWorkspaceDomain(String domain) {
        return with(b -> b.workspaceDomain = domain);
    }

    public ControlPlaneConfig withEdgeScheme(String scheme) {
        return with(b -> b.edgeScheme = scheme);
    }

    public ControlPlaneConfig withStepTimeouts(StepTimeouts timeouts) {
        return with(b -> b.stepTimeouts = timeouts);
    }

    public ControlPlaneConfig withSnapshotSweep(SnapshotSweep.Config sweep) {
        return with(b -> b.snapshotSweep = sweep);
    }

    /** Offers the {@code local} capacity provider: regions set to it grow with agents started here. */
    public ControlPlaneConfig withLocalHosts(dev.spinup.controlplane.fleet.LocalHosts.Config localHosts) {
        return with(b -> b.localHosts = localHosts);
    }

    /** Offers the {@code aws-asg} capacity provider: regions set to it grow through their Auto Scaling groups. */
    public ControlPlaneConfig withAsg(dev.spinup.controlplane.aws.AsgProvider.Config asg) {
        return with(b -> b.asg = asg);
    }

    /** Publishes workspaces' names to this zone by RFC 2136 (null: no DNS is published). */
    public ControlPlaneConfig withDns(dev.spinup.controlplane.dns.DnsConfig dns) {
        return with(b -> b.dns = dns);
    }

    public ControlPlaneConfig withFleetTimings(dev.spinup.controlplane.fleet.FleetTimings timings) {
        return with(b -> b.fleetTimings = timings);
    }

    static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName() + "-"
                    + ProcessHandle.current().pid();
        } catch (java.io.IOException e) {
            return "replica-" + ProcessHandle.current().pid();
        }
    }

    /** A copy with {@code change} made to it: what every {@code with…} method is. */
    private ControlPlaneConfig with(java.util.function.Consumer<Copy> change) {
        Copy b = new Copy(this);
        change.accept(b);
        return b.build();
    }

    /** The components of a {@link ControlPlaneConfig}, to change some and build a new one. */
    private static final class Copy {
        String bindAddress;
        int grpcPort;
        int metricsPort;
        DatabaseConfig database;
        ObjectStorage.Config objectStorage;
        Tls tls;
        FlavorCatalog flavors;
        Set<ProjectTemplate> offeredTemplates;
        String workspaceDomain;
        String edgeScheme;
        Duration heartbeatLease;
        OperationEngine.Config engine;
        StepTimeouts stepTimeouts;
        Duration snapshotScanInterval;
        SnapshotSweep.Config snapshotSweep;
        dev.spinup.controlplane.fleet.LocalHosts.Config localHosts;
        dev.spinup.controlplane.aws.AsgProvider.Config asg;
        dev.spinup.controlplane.fleet.FleetTimings fleetTimings;
        dev.spinup.controlplane.dns.DnsConfig dns;

        Copy(ControlPlaneConfig c) {
            bindAddress = c.bindAddress();
            grpcPort = c.grpcPort();
            metricsPort = c.metricsPort();
            database = c.database();
            objectStorage = c.objectStorage();
            tls = c.tls();
            flavors = c.flavors();
            offeredTemplates = c.offeredTemplates();
            workspaceDomain = c.workspaceDomain();
            edgeScheme = c.edgeScheme();
            heartbeatLease = c.heartbeatLease();
            engine = c.engine();
            stepTimeouts = c.stepTimeouts();
            snapshotScanInterval = c.snapshotScanInterval();
            snapshotSweep = c.snapshotSweep();
            localHosts = c.localHosts();
            asg = c.asg();
            fleetTimings = c.fleetTimings();
            dns = c.dns();
        }

        ControlPlaneConfig build() {
            return new ControlPlaneConfig(
                    bindAddress,
                    grpcPort,
                    metricsPort,
                    database,
                    objectStorage,
                    tls,
                    flavors,
                    offeredTemplates,
                    workspaceDomain,
                    edgeScheme,
                    heartbeatLease,
                    engine,
                    stepTimeouts,
                    snapshotScanInterval,
                    snapshotSweep,
                    localHosts,
                    asg,
                    fleetTimings,
                    dns);
        }
    }
}
