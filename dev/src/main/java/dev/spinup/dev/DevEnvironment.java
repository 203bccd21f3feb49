package dev.spinup.dev;

import dev.spinup.controlplane.ControlPlane;
import dev.spinup.controlplane.ControlPlaneConfig;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.pki.CertificateAuthority;
import dev.spinup.controlplane.postgres.DatabaseConfig;
import dev.spinup.controlplane.storage.ObjectStorage;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Everything dev mode needs in one data directory, created on first start and reused after:
 * embedded Postgres (unless DATABASE_URL is set), embedded S3 (unless an S3 endpoint is set),
 * a local CA with the server's certificate, one local host with its agent credentials, and an
 * admin API token.
 */
public final class DevEnvironment implements AutoCloseable {
    public static final String REGION = "local";
    public static final String SNAPSHOT_BUCKET = "spinup-snapshots";

    private final Path dataDir;
    private final EmbeddedPostgres postgres;
    private final EmbeddedS3 s3;
    private final DatabaseConfig database;
    private final CertificateAuthority ca;
    private final ObjectStorage.Config objectStorage;
    /** DATABASE_URL for another replica on the same database (credentials included). */
    private final String replicaDatabaseUrl;

    private DevEnvironment(
            Path dataDir,
            EmbeddedPostgres postgres,
            EmbeddedS3 s3,
            DatabaseConfig database,
            CertificateAuthority ca,
            ObjectStorage.Config objectStorage,
            String replicaDatabaseUrl) {
        this.replicaDatabaseUrl = replicaDatabaseUrl;
        this.dataDir = dataDir;
        this.postgres = postgres;
        this.s3 = s3;
        this.database = database;
        this.ca = ca;
        this.objectStorage = objectStorage;
    }

    /**
     * @param s3EndpointOverride an S3 endpoint to use instead of the embedded store; its bucket and
     *                           credentials come from SPINUP_S3_BUCKET / SPINUP_S3_ACCESS_KEY / SPINUP_S3_SECRET_KEY
     */
    public static DevEnvironment prepare(Path dataDir, String databaseUrl, String s3EndpointOverride, Clock clock)
            throws Exception {
        Files.createDirectories(dataDir);
        EmbeddedPostgres postgres = null;
        DatabaseConfig database;
        if (databaseUrl != null && !databaseUrl.isBlank()) {
            database = DatabaseConfig.fromUrl(databaseUrl, 20);
        } else {
            Path pgData = dataDir.resolve("postgres");
            stopLeftoverPostgres(pgData);
            postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    // the library's default is off: an acknowledged operation must survive a crash here too
                    .setServerConfig("synchronous_commit", "on")
                    .start();
            database = new DatabaseConfig(postgres.getJdbcUrl("postgres", "postgres"), "postgres", null, 20);
        }
        EmbeddedS3 s3 = null;
        ObjectStorage.Config storage;
        if (s3EndpointOverride == null || s3EndpointOverride.isBlank()) {
            String access = secret(dataDir, "s3-access-key");
            String secret = secret(dataDir, "s3-secret-key");
            s3 = EmbeddedS3.start(dataDir.resolve("s3"), 0, access, secret, SNAPSHOT_BUCKET);
            storage = new ObjectStorage.Config(s3.endpoint(), "us-east-1", SNAPSHOT_BUCKET, access, secret);
        } else {
            storage = new ObjectStorage.Config(
                    java.net.URI.create(s3EndpointOverride),
                    System.getenv().getOrDefault("SPINUP_S3_REGION", "us-east-1"),
                    System.getenv().getOrDefault("SPINUP_S3_BUCKET", SNAPSHOT_BUCKET),
                    System.getenv("SPINUP_S3_ACCESS_KEY"),
                    System.getenv("SPINUP_S3_SECRET_KEY"));
        }
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dataDir.resolve("pki"), "SpinUp dev CA", clock);
        Path serverCrt = dataDir.resolve("pki/server.crt");
        if (!Files.exists(serverCrt)) {
            ca.issueServer(
                            List.of(
                                    "localhost",
                                    java.net.InetAddress.getLocalHost().getHostName()),
                            CertificateAuthority.localIpAddresses())
                    .writeTo(serverCrt, dataDir.resolve("pki/server.key"));
        }
        String replicaDatabaseUrl = postgres == null ? databaseUrl : postgres.getJdbcUrl("postgres", "postgres");
        return new DevEnvironment(dataDir, postgres, s3, database, ca, storage, replicaDatabaseUrl);
    }

    public ControlPlaneConfig.Tls tls() {
        return new ControlPlaneConfig.Tls(
                dataDir.resolve("pki/server.crt"),
                dataDir.resolve("pki/server.key"),
                dataDir.resolve("pki/ca.crt"),
                dataDir.resolve("pki/ca.key"));
    }

    public DatabaseConfig database() {
        return database;
    }

    public ObjectStorage.Config objectStorage() {
        return objectStorage;
    }

    /**
     * The embedded PostgreSQL runs in its own session, so it outlives a dev run killed with -9 and
     * would hold its data directory against the next start. Such a server (postmaster.pid names a
     * live postgres) is shut down first: SIGTERM, a smart shutdown that finishes once the dead
     * run's connections are gone; SIGKILL only if it has not stopped within 30 s.
     */
    static void stopLeftoverPostgres(Path pgData) throws Exception {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
        } catch (RuntimeException e) {
            return; // unreadable: PostgreSQL itself treats it as stale
        }
        var server = ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        if (server.isEmpty()) {
            return;
        }
        System.err.println("dev: stopping the embedded PostgreSQL (pid " + pid + ") a previous run left on " + pgData);
        server.get().destroy();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (server.get().isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100); // polling a foreign process's exit, with a deadline
        }
        if (server.get().isAlive()) {
            server.get().destroyForcibly();
            server.get().onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    public Path caCertificate() {
        return dataDir.resolve("pki/ca.crt");
    }

    /**
     * {@code <data>/cli.conf}, the spinup CLI's settings for this control plane (written on every
     * start, since the port may change): with no settings of its own the CLI finds it from the
     * checkout, so {@code ./spinup workspaces list} just works.
     */
    public Path writeCliConfig(int grpcPort) {
        Path file = dataDir.resolve("cli.conf");
        try {
            Files.writeString(file, """
                    # Written by ./spinup dev on every start: the spinup CLI's settings for this dev control plane.
                    # Paths are relative to this file.
                    server = localhost:%d
                    ca = pki/ca.crt
                    token-file = admin-token
                    """.formatted(grpcPort));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code <data>/replica.conf}: the settings of a second control plane beside this one, on the
     * same database, bucket and CA ({@code SPINUP_CONFIG_FILE=<data>/replica.conf ./spinup serve
     * --grpc-port 8444 --metrics-port 9092}). Written on every start (the embedded services' ports
     * change), readable only by its owner: it holds the credentials.
     */
    public Path writeReplicaConfig() {
        Path file = dataDir.resolve("replica.conf");
        ControlPlaneConfig.Tls tls = tls();
        java.util.Map<String, Object> settings = new java.util.LinkedHashMap<>();
        settings.put("DATABASE_URL", replicaDatabaseUrl);
        settings.put("SPINUP_TLS_CERT", tls.serverCertificate().toAbsolutePath());
        settings.put("SPINUP_TLS_KEY", tls.serverKey().toAbsolutePath());
        settings.put("SPINUP_CA_CERT", tls.caCertificate().toAbsolutePath());
        settings.put("SPINUP_CA_KEY", tls.caKey().toAbsolutePath());
        settings.put("SPINUP_S3_ENDPOINT", objectStorage.endpoint());
        settings.put("SPINUP_S3_REGION", objectStorage.region());
        settings.put("SPINUP_S3_BUCKET", objectStorage.bucket());
        settings.put("SPINUP_S3_ACCESS_KEY", objectStorage.accessKey());
        settings.put("SPINUP_S3_SECRET_KEY", objectStorage.secretKey());
        settings.put("SPINUP_BIND", "127.0.0.1");
        StringBuilder text = new StringBuilder("""
                # Written by ./spinup dev on every start: a second control plane replica beside it runs with
                #   SPINUP_CONFIG_FILE=%s ./spinup serve --grpc-port 8444 --metrics-port 9092
                """.formatted(file.toAbsolutePath()));
        settings.forEach((k, v) -> {
            if (v != null) {
                text.append(k).append('=').append(v).append('\n');
            }
        });
        try {
            Files.deleteIfExists(file);
            Files.createFile(
                    file,
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The local capacity provider's settings: agents from {@code agentBuild} (the host-agent
     * module's target: its jar and lib/), data under {@code <data>/local-hosts}, apps from port
     * 22000, each host 2 vCPU, 4 GiB, 40 GiB, dialling this control plane.
     */
    public dev.spinup.controlplane.fleet.LocalHosts.Config localHosts(Path agentBuild, int grpcPort)
            throws IOException {
        Path jar;
        try (var files = Files.list(agentBuild)) {
            jar = files.filter(f -> f.getFileName().toString().matches("spinup-host-agent-[0-9].*\\.jar"))
                    .findFirst()
                    .orElseThrow(() -> new IOException("no host agent jar in " + agentBuild + " (build it first)"));
        }
        return new dev.spinup.controlplane.fleet.LocalHosts.Config(
                List.of(
                        ProcessHandle.current().info().command().orElseThrow(),
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-cp",
                        jar.toAbsolutePath() + ":" + agentBuild.toAbsolutePath().resolve("lib") + "/*",
                        "dev.spinup.agent.Main"),
                dataDir.resolve("local-hosts").toAbsolutePath(),
                "localhost:" + grpcPort,
                caCertificate().toAbsolutePath(),
                new Envelope(2, 4, 40),
                22_000,
                100);
    }

    /** A region the local provider grows to {@code maxHosts} to keep {@code headroom} HOBBY workspaces' room. */
    public void elasticRegion(ControlPlane cp, String region, int maxHosts, int headroom) {
        cp.database().inTransactionVoid(tx -> {
            tx.fleet().ensureRegion(region, "Grows on this machine");
            tx.fleet().setProvider(region, "local");
            tx.fleet()
                    .setCapacity(
                            region,
                            new dev.spinup.controlplane.core.RegionCapacity(
                                    0,
                                    maxHosts,
                                    headroom,
                                    dev.spinup.controlplane.core.Flavor.HOBBY,
                                    dev.spinup.controlplane.core.RegionCapacity.DEFAULT.scaleInCoolDown()));
        });
    }

    /**
     * Registers this machine as host of region "local" and writes the agent's credentials to
     * {@code <data>/agent/}: host.crt, host.key, ca.crt and host-id.
     */
    public UUID registerLocalHost(ControlPlane cp, Clock clock, Envelope capacity) {
        Path agentDir = dataDir.resolve("agent");
        Path idFile = agentDir.resolve("host-id");
        try {
            Files.createDirectories(agentDir);
            UUID hostId = Files.exists(idFile)
                    ? UUID.fromString(Files.readString(idFile).trim())
                    : Ids.newId(clock);
            cp.database().inTransactionVoid(tx -> {
                tx.fleet().ensureRegion(REGION, "This machine");
                tx.fleet()
                        .registerHost(hostId, REGION, "local-" + hostId, capacity == null ? localCapacity() : capacity);
            });
            if (!Files.exists(agentDir.resolve("host.crt"))) {
                ca.issueHost(hostId).writeTo(agentDir.resolve("host.crt"), agentDir.resolve("host.key"));
            }
            Files.writeString(agentDir.resolve("ca.crt"), ca.certificatePem());
            Files.writeString(idFile, hostId + "\n");
            return hostId;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The admin token, kept in {@code <data>/admin-token} (mode 600) so every dev start can print it.
     * The database stores only its hash.
     */
    public String adminToken(ControlPlane cp, Clock clock) {
        Path file = dataDir.resolve("admin-token");
        try {
            if (Files.exists(file)) {
                String token = Files.readString(file).trim();
                if (cp.database()
                        .read(tx -> cp.apiTokens().authenticate(tx, token))
                        .isPresent()) {
                    return token;
                }
            }
            String name = "dev-admin-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
            String token = cp.database()
                    .inTransaction(tx -> cp.apiTokens()
                            .create(
                                    tx,
                                    Ids.newId(clock),
                                    name,
                                    Set.of(Principal.SCOPE_ADMIN, Principal.SCOPE_WORKSPACES),
                                    clock.instant()));
            Files.writeString(file, token + "\n");
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Process workspaces share the machine, so overcommit: 4x the cores, 2x the memory. */
    private Envelope localCapacity() {
        int cores = Runtime.getRuntime().availableProcessors();
        long ramGb = ((com.sun.management.OperatingSystemMXBean)
                                java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                        .getTotalMemorySize()
                >> 30;
        long diskGb = dataDir.toFile().getUsableSpace() >> 30;
        return new Envelope(cores * 4, (int) Math.max(2, ramGb * 2), (int) Math.max(10, diskGb));
    }

    private static String secret(Path dataDir, String name) throws IOException {
        Path file = dataDir.resolve(name);
        if (!Files.exists(file)) {
            byte[] bytes = new byte[20];
            new SecureRandom().nextBytes(bytes);
            Files.writeString(file, HexFormat.of().formatHex(bytes) + "\n");
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        return Files.readString(file).trim();
    }

    @Override
    public void close() throws Exception {
        if (s3 != null) {
            s3.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }
}
