package dev.spinup.controlplane;

import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.postgres.DatabaseConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "spinup-control-plane",
        mixinStandardHelpOptions = true,
        description = "The SpinUp control plane.",
        subcommands = {Main.Serve.class, Main.CreateToken.class, Main.CreateRegion.class})
public final class Main {
    @CommandLine.Mixin
    dev.spinup.api.Settings.LogFormatOption logFormat;

    public static void main(String[] args) {
        dev.spinup.api.Settings.configureLogFormat("control-plane", args);
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(dev.spinup.api.Settings.run(
                "control-plane",
                java.util.Set.of(
                        "SPINUP_S3_ACCESS_KEY",
                        "SPINUP_S3_SECRET_KEY",
                        "SPINUP_AWS_ACCESS_KEY",
                        "SPINUP_AWS_SECRET_KEY"),
                new Main(),
                args));
    }

    /** The listening options every way of running the control plane shares. */
    public static class Ports {
        /**
         * Starts the control plane; a port it cannot listen on is one usage line naming the port,
         * why, and the setting that changes it (exit 2), never a stack trace.
         */
        public ControlPlane start(CommandLine cli, java.util.function.Supplier<ControlPlane> start) {
            try {
                return start.get();
            } catch (java.io.UncheckedIOException e) {
                if (e.getMessage() == null || !e.getMessage().startsWith("cannot listen")) {
                    throw e;
                }
                boolean metrics = e.getMessage().contains("metrics");
                Throwable cause = e;
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                throw new CommandLine.ParameterException(
                        cli,
                        e.getMessage() + " (" + cause.getMessage() + "); choose another with "
                                + (metrics
                                        ? "--metrics-port or SPINUP_METRICS_PORT"
                                        : "--grpc-port or SPINUP_GRPC_PORT"));
            }
        }

        @Option(
                names = "--bind",
                defaultValue = "${env:SPINUP_BIND:-0.0.0.0}",
                description = "Address to listen on (default: ${DEFAULT-VALUE}).")
        public String bind;

        @Option(
                names = "--grpc-port",
                defaultValue = "${env:SPINUP_GRPC_PORT:-8443}",
                description = "gRPC (TLS) port (default: ${DEFAULT-VALUE}).")
        public int grpcPort;

        @Option(
                names = "--metrics-port",
                defaultValue = "${env:SPINUP_METRICS_PORT:-9090}",
                description = "Prometheus /metrics port (default: ${DEFAULT-VALUE}).")
        public int metricsPort;
    }

    @Command(name = "serve", description = "Run a control-plane replica (production).")
    static final class Serve implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(
                names = "--database-url",
                defaultValue = "${env:DATABASE_URL}",
                required = true,
                description = "postgres://user:pass@host:5432/db or jdbc:postgresql://... (env DATABASE_URL).")
        String databaseUrl;

        @Option(
                names = "--tls-cert",
                defaultValue = "${env:SPINUP_TLS_CERT}",
                required = true,
                description = "Server certificate, PEM (env SPINUP_TLS_CERT).")
        Path cert;

        @Option(
                names = "--tls-key",
                defaultValue = "${env:SPINUP_TLS_KEY}",
                required = true,
                description = "Server private key, PKCS#8 PEM (env SPINUP_TLS_KEY).")
        Path key;

        @Option(
                names = "--ca-cert",
                defaultValue = "${env:SPINUP_CA_CERT}",
                required = true,
                description = "CA that signs host certificates, PEM (env SPINUP_CA_CERT).")
        Path ca;

        @Option(
                names = "--ca-key",
                defaultValue = "${env:SPINUP_CA_KEY}",
                description =
                        "The CA's private key, PKCS#8 PEM (env SPINUP_CA_KEY); without it this replica cannot enroll hosts.")
        Path caKey;

        @Option(
                names = "--s3-bucket",
                defaultValue = "${env:SPINUP_S3_BUCKET}",
                required = true,
                description = "Bucket for snapshots (env SPINUP_S3_BUCKET).")
        String bucket;

        @Option(
                names = "--s3-endpoint",
                defaultValue = "${env:SPINUP_S3_ENDPOINT}",
                description = "S3-compatible endpoint; unset for AWS S3 (env SPINUP_S3_ENDPOINT).")
        java.net.URI s3Endpoint;

        @Option(
                names = "--s3-region",
                defaultValue = "${env:SPINUP_S3_REGION:-us-east-1}",
                description =
                        "Region (env SPINUP_S3_REGION, default ${DEFAULT-VALUE}). Credentials: the AWS default chain, or SPINUP_S3_ACCESS_KEY / SPINUP_S3_SECRET_KEY.")
        String region;

        @Option(
                names = "--job-threads",
                defaultValue = "${env:SPINUP_JOB_THREADS:-10}",
                description =
                        "Threads running operation jobs (default: ${DEFAULT-VALUE}); 0 makes an API/agent-only replica.")
        int jobThreads;

        @Option(
                names = "--workspace-domain",
                defaultValue = "${env:SPINUP_WORKSPACE_DOMAIN:-workspaces.localhost}",
                description =
                        "Each workspace answers at <id>.<this domain>; point a wildcard DNS record per host, or one per workspace, at its home host (default: ${DEFAULT-VALUE}).")
        String workspaceDomain;

        @Option(
                names = "--edge-scheme",
                defaultValue = "${env:SPINUP_EDGE_SCHEME:-http}",
                description =
                        "How browsers reach the hosts' edges, http or https: the scheme of access grant URLs (default: ${DEFAULT-VALUE}).")
        String edgeScheme;

        @CommandLine.Mixin
        Ports ports;

        @CommandLine.Mixin
        AsgOptions asg;

        @CommandLine.Mixin
        DnsOptions dns;

        @Override
        public Integer call() throws Exception {
            dev.spinup.controlplane.aws.AsgProvider.Config asgConfig;
            dev.spinup.controlplane.dns.DnsConfig dnsConfig;
            try {
                asgConfig = asg.config();
                dnsConfig = dns.config(workspaceDomain, asg.endpoint);
            } catch (IllegalArgumentException e) {
                System.err.println("serve: " + e.getMessage());
                return 2;
            }
            ControlPlaneConfig defaults = ControlPlaneConfig.defaults(
                            DatabaseConfig.fromUrl(databaseUrl, 20),
                            new dev.spinup.controlplane.storage.ObjectStorage.Config(
                                    s3Endpoint,
                                    region,
                                    bucket,
                                    dev.spinup.api.Settings.current()
                                            .get("SPINUP_S3_ACCESS_KEY")
                                            .orElse(null),
                                    dev.spinup.api.Settings.current()
                                            .get("SPINUP_S3_SECRET_KEY")
                                            .orElse(null)),
                            new ControlPlaneConfig.Tls(cert, key, ca, caKey))
                    .withPorts(ports.bind, ports.grpcPort, ports.metricsPort)
                    .withWorkspaceDomain(workspaceDomain)
                    .withEdgeScheme(edgeScheme)
                    .withAsg(asgConfig)
                    .withDns(dnsConfig);
            ControlPlaneConfig config = defaults.withEngine(new dev.spinup.controlplane.engine.OperationEngine.Config(
                    jobThreads,
                    defaults.engine().pollingInterval(),
                    defaults.engine().retryDelay(),
                    defaults.engine().replicaName()));
            ControlPlane cp = ports.start(
                    spec.commandLine(),
                    () -> ControlPlane.start(
                            config,
                            Clock.systemUTC(),
                            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                            dev.spinup.controlplane.engine.StepHooks.NONE,
                            dev.spinup.api.Telemetry.fromEnvironment("spinup-control-plane")));
            return runUntilStopped(cp, null);
        }
    }

    @Command(
            name = "create-region",
            description = "Create a region hosts can enroll in (nothing happens if it exists).")
    static final class CreateRegion implements Callable<Integer> {
        @Option(names = "--database-url", defaultValue = "${env:DATABASE_URL}", required = true)
        String databaseUrl;

        @Option(
                names = "--id",
                required = true,
                description = "The region's id, e.g. eu-west-1: lower case, digits and -.")
        String id;

        @Option(names = "--name", description = "Its display name (default: the id).")
        String name;

        @Option(
                names = "--provider",
                description = "What grows it: static (hosts join by enrollment only), local or aws-asg"
                        + " (default: as it is; static for a new region).")
        String provider;

        @Override
        public Integer call() {
            if (!dev.spinup.controlplane.core.Region.ID.matcher(id).matches()) {
                System.err.println(
                        "create-region: --id must be lower case letters, digits and -, 1-63 long (got \"" + id + "\")");
                return 2;
            }
            if (provider != null
                    && !java.util.List.of("static", "local", "aws-asg").contains(provider)) {
                System.err.println(
                        "create-region: --provider must be static, local or aws-asg (got \"" + provider + "\")");
                return 2;
            }
            try (var db = migrated(databaseUrl)) {
                db.inTransactionVoid(tx -> {
                    tx.fleet().ensureRegion(id, name == null ? id : name);
                    if (provider != null) {
                        tx.fleet().setProvider(id, provider);
                    }
                });
                System.out.println("region " + id + (provider == null ? "" : " (" + provider + ")"));
            }
            return 0;
        }
    }

    @Command(name = "create-token", description = "Create an API token and print it (shown once).")
    static final class CreateToken implements Callable<Integer> {
        @Option(names = "--database-url", defaultValue = "${env:DATABASE_URL}", required = true)
        String databaseUrl;

        @Option(
                names = "--name",
                required = true,
                description = "Token name; audit entries say api:<name> or admin:<name>.")
        String name;

        @Option(names = "--scope", required = true, description = "workspaces and/or admin (repeatable).")
        List<String> scopes;

        @Override
        public Integer call() {
            try (var db = migrated(databaseUrl)) {
                Clock clock = Clock.systemUTC();
                var token = db.inTransaction(tx -> new dev.spinup.controlplane.auth.ApiTokens(clock)
                        .create(
                                tx,
                                Ids.newId(clock),
                                name,
                                new LinkedHashSet<>(scopes),
                                clock.instant(),
                                null,
                                "system"));
                if (token.isEmpty()) {
                    System.err.println("create-token: an API token named " + name
                            + " exists (names are never reused; pick another, or revoke it with spinup tokens revoke)");
                    return 1;
                }
                System.out.println(token.get());
            }
            return 0;
        }
    }

    /** The database of an admin subcommand (create-region, create-token), its schema brought up to date. */
    private static dev.spinup.controlplane.postgres.Database migrated(String databaseUrl) {
        var db = new dev.spinup.controlplane.postgres.Database(DatabaseConfig.fromUrl(databaseUrl, 2));
        try {
            db.migrate();
            return db;
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /** Runs until the JVM is told to stop, then closes the control plane and then {@code env} (may be null). */
    public static int runUntilStopped(ControlPlane cp, AutoCloseable env) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            cp.close();
                            if (env != null) {
                                try {
                                    env.close();
                                } catch (Exception e) {
                                    System.err.println("while stopping embedded services: " + e);
                                }
                            }
                            stopped.countDown();
                        },
                        "shutdown"));
        stopped.await();
        return 0;
    }
}
