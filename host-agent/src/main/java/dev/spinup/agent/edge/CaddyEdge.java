package dev.spinup.agent.edge;

import dev.spinup.agent.drivers.DriverException;
import dev.spinup.api.v1.ApplyEdgeRoutes;
import dev.spinup.edge.CaddyConfig;
import dev.spinup.edge.EdgeRoute;
import dev.spinup.edge.EdgeSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives this host's Caddy through its admin API. Every ApplyEdgeRoutes renders the whole config
 * (edge-proxy-config), POSTs it to {@code /load}, and checks it took ({@code GET /id/spinup-g<n>});
 * only then is it kept on disk as the last good config. A watchdog re-applies the last good config
 * whenever Caddy comes back without it (restarted by systemd, or by this class), so Caddy serves
 * the last routes whatever happens to the agent or the control plane.
 *
 * <p>With a {@code caddyBinary} the agent runs Caddy itself (dev mode): its XDG directories live
 * under the edge directory, it is restarted when it dies, and a Caddy left running by a previous
 * agent process is adopted rather than started twice. Without one, Caddy is the system's (e.g.
 * the Debian package's systemd unit) and only its admin API is used.
 */
public final class CaddyEdge implements EdgeController {
    private static final Logger log = LoggerFactory.getLogger(CaddyEdge.class);
    private static final Duration WATCH_EVERY = Duration.ofSeconds(2);

    private final Path dir;
    private final EdgeSettings settings;
    private final String address;
    private final Path caddyBinary;
    private final URI admin;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Thread watchdog;
    private final CertificateWatch certificates;
    private ProcessHandle caddy;
    private long appliedGeneration = -1;
    private volatile boolean closing;

    /** Without certificate reports (plain HTTP, or nobody listening). */
    public CaddyEdge(Path dir, EdgeSettings settings, String address, Path caddyBinary) {
        this(dir, settings, address, caddyBinary, status -> { });
    }

    /**
     * @param address      where other hosts reach this edge (host:port)
     * @param caddyBinary  run and supervise this Caddy; null to drive the system's Caddy
     * @param certificates told whenever the certificate served for a routed name changes state
     *                     (with TLS on)
     */
    public CaddyEdge(Path dir, EdgeSettings settings, String address, Path caddyBinary,
                     java.util.function.Consumer<dev.spinup.api.v1.CertificateStatus> certificates) {
        this.dir = dir;
        this.settings = settings;
        this.address = address;
        this.caddyBinary = caddyBinary;
        this.admin = URI.create("http://" + settings.adminListen());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lastGood().ifPresent(g -> appliedGeneration = g.generation());
        this.certificates = settings.tls() == EdgeSettings.Tls.OFF ? null : new CertificateWatch(localListener(settings),
                settings.tls() == EdgeSettings.Tls.INTERNAL ? Duration.ofMinutes(1) : Duration.ofMinutes(15), certificates);
        if (this.certificates != null) {
            this.certificates.track(readHostnames());
        }
        if (caddyBinary != null) {
            superviseOnce();
        }
        restoreLastGood();
        this.watchdog = Thread.ofPlatform().daemon().name("caddy-watchdog").start(this::watch);
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public synchronized String apply(ApplyEdgeRoutes table) throws DriverException {
        if (table.getGeneration() < appliedGeneration) {
            return "ignored generation " + table.getGeneration() + " (Caddy already has " + appliedGeneration + ")";
        }
        List<EdgeRoute> routes = table.getRoutesList().stream().map(CaddyEdge::route).toList();
        String config = CaddyConfig.render(settings, table.getGeneration(), routes);
        long started = System.nanoTime();
        load(config, table.getGeneration());
        long millis = (System.nanoTime() - started) / 1_000_000;
        keepAsLastGood(config, table.getGeneration());
        appliedGeneration = table.getGeneration();
        if (certificates != null) {
            List<String> names = routes.stream().flatMap(r -> r.hostnames().stream()).toList();
            certificates.track(names);
            try {
                writeAtomically(dir.resolve("last-good.hostnames"), String.join("\n", names));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        log.info("event=edge_applied generation={} routes={} millis={}", table.getGeneration(), routes.size(), millis);
        return "Caddy serves " + routes.size() + " routes (generation " + table.getGeneration() + "), loaded in "
                + millis + " ms";
    }

    /** The agent protocol's route as edge-proxy-config takes it. */
    public static EdgeRoute route(dev.spinup.api.v1.EdgeRoute r) {
        EdgeRoute.Mode mode = switch (r.getMode()) {
            // nothing to proxy to yet: the 503 page, rather than refusing the whole table
            case PROXY -> r.getUpstream().isEmpty() ? EdgeRoute.Mode.SUSPENDED : EdgeRoute.Mode.PROXY;
            case SUSPENDED_PAGE -> EdgeRoute.Mode.SUSPENDED;
            case ARCHIVED_PAGE -> EdgeRoute.Mode.ARCHIVED;
            case FORWARD -> EdgeRoute.Mode.FORWARD;
            case TOMBSTONE -> EdgeRoute.Mode.TOMBSTONE;
            case EDGE_ROUTE_MODE_UNSPECIFIED, UNRECOGNIZED ->
                    throw new IllegalArgumentException("route for " + r.getWorkspaceId() + " has no mode");
        };
        return new EdgeRoute(r.getWorkspaceId(), r.getDisplayName(), r.getDomainsList(), mode, r.getUpstream());
    }

    /** POST /load, then check that Caddy reports this generation. */
    private void load(String config, long generation) throws DriverException {
        try {
            HttpResponse<String> loaded = http.send(HttpRequest.newBuilder(admin.resolve("/load"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(config)).build(), HttpResponse.BodyHandlers.ofString());
            if (loaded.statusCode() != 200) {
                throw new DriverException("edge_rejected", "Caddy refused generation " + generation + " (HTTP "
                        + loaded.statusCode() + "): " + abbreviate(loaded.body()));
            }
            if (!hasGeneration(generation)) {
                throw new DriverException("edge_not_applied", "Caddy accepted generation " + generation
                        + " but does not report it as loaded");
            }
        } catch (IOException e) {
            throw new DriverException("edge_unreachable", "Caddy's admin API at " + admin + " did not answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while loading the edge config", e);
        }
    }

    private boolean hasGeneration(long generation) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(admin.resolve("/id/" + CaddyConfig.generationId(generation)))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.discarding())
                .statusCode() == 200;
    }

    private boolean adminAnswers() {
        try {
            return http.send(HttpRequest.newBuilder(admin.resolve("/config/")).timeout(Duration.ofSeconds(2)).GET()
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private record LastGood(long generation, String config) {}

    private Optional<LastGood> lastGood() {
        try {
            Path config = dir.resolve("last-good.json");
            Path generation = dir.resolve("last-good.generation");
            if (!Files.exists(config) || !Files.exists(generation)) {
                return Optional.empty();
            }
            return Optional.of(new LastGood(Long.parseLong(Files.readString(generation).trim()),
                    Files.readString(config)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void keepAsLastGood(String config, long generation) {
        try {
            // config first: a crash between the two leaves an older generation number, which only
            // means the next check re-applies the (newer) config once more.
            writeAtomically(dir.resolve("last-good.json"), config);
            writeAtomically(dir.resolve("last-good.generation"), Long.toString(generation));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeAtomically(Path target, String content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** If Caddy runs without the last good config (it restarted, or this is a new agent), load it. */
    private synchronized void restoreLastGood() {
        Optional<LastGood> last = lastGood();
        if (last.isEmpty()) {
            return;
        }
        try {
            if (adminAnswers() && !hasGeneration(last.get().generation())) {
                load(last.get().config(), last.get().generation());
                log.warn("event=edge_reapplied generation={} reason=\"Caddy came back without it\"",
                        last.get().generation());
            }
        } catch (DriverException | IOException e) {
            log.error("event=edge_reapply_failed generation={} error=\"{}\"", last.get().generation(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts Caddy unless one answers on the admin address already (left by an earlier agent: adopted). */
    private synchronized void superviseOnce() {
        if (caddy != null && caddy.isAlive()) {
            return;
        }
        Optional<ProcessHandle> previous = readPid().flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
        if (previous.isPresent() && adminAnswers()) {
            caddy = previous.get();
            log.info("event=caddy_adopted pid={}", caddy.pid());
            return;
        }
        try {
            // Start from the last good config; a new host starts with no routes (every name: 404 page).
            Path config = dir.resolve("last-good.json");
            if (!Files.exists(config)) {
                config = dir.resolve("bootstrap.json");
                Files.writeString(config, CaddyConfig.render(settings, 0, List.of()));
            }
            ProcessBuilder pb = new ProcessBuilder(caddyBinary.toString(), "run", "--config", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("caddy.log").toFile()));
            Map<String, String> env = pb.environment();
            env.put("HOME", dir.resolve("home").toString());
            env.put("XDG_DATA_HOME", dir.resolve("xdg-data").toString());
            env.put("XDG_CONFIG_HOME", dir.resolve("xdg-config").toString());
            caddy = pb.start().toHandle();
            Files.writeString(dir.resolve("caddy.pid"), Long.toString(caddy.pid()));
            log.info("event=caddy_started pid={} admin={} listen={}", caddy.pid(), settings.adminListen(),
                    settings.listen());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Caddy (" + caddyBinary + ")", e);
        }
        Instant deadline = Instant.now().plusSeconds(30);
        while (!adminAnswers()) {
            if (!caddy.isAlive() || Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("Caddy did not come up on " + settings.adminListen()
                        + "; see " + dir.resolve("caddy.log"));
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    private List<String> readHostnames() {
        try {
            Path file = dir.resolve("last-good.hostnames");
            return Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList() : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where this machine reaches its own edge listener. */
    private static java.net.InetSocketAddress localListener(EdgeSettings settings) {
        String listen = settings.listen();
        String host = listen.substring(0, listen.lastIndexOf(':'));
        int port = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
        return new java.net.InetSocketAddress(host.isEmpty() || host.equals("0.0.0.0") ? "127.0.0.1" : host, port);
    }

    private Optional<Long> readPid() {
        try {
            Path pid = dir.resolve("caddy.pid");
            return Files.exists(pid) ? Optional.of(Long.parseLong(Files.readString(pid).trim())) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void watch() {
        while (!closing) {
            LockSupport.parkNanos(WATCH_EVERY.toNanos());
            if (closing) {
                return;
            }
            try {
                if (caddyBinary != null && (caddy == null || !caddy.isAlive())) {
                    log.error("event=caddy_exited pid={}; starting it again", caddy == null ? -1 : caddy.pid());
                    superviseOnce();
                }
                restoreLastGood();
                if (certificates != null) {
                    certificates.check(Instant.now());
                }
            } catch (RuntimeException e) {
                log.error("event=caddy_watchdog_failed error=\"{}\"", e.toString());
            }
        }
    }

    /** {@code binary} as given if it is a path, else looked up on PATH. */
    public static Path findBinary(String binary) {
        if (binary.contains("/")) {
            return Path.of(binary);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path candidate = Path.of(dir, binary);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(binary + " is not on PATH; scripts/setup-host.sh installs Caddy");
    }

    /** The Caddy this agent runs, if it runs one (for tests). */
    public Optional<ProcessHandle> process() {
        return Optional.ofNullable(caddy);
    }

    /** Stops watching; a Caddy this agent runs is stopped too (the system's Caddy keeps serving). */
    @Override
    public synchronized void close() {
        closing = true;
        watchdog.interrupt();
        if (caddyBinary != null && caddy != null && caddy.isAlive()) {
            caddy.destroy();
            try {
                caddy.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                caddy.destroyForcibly();
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 500 ? s.substring(0, 500) + "…" : s;
    }
}
