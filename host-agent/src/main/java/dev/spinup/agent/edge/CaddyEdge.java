package dev.spinup.agent.edge;

import dev.spinup.agent.drivers.DriverException;
import dev.spinup.api.v1.ApplyEdgeRoutes;
import dev.spinup.edge.CaddyConfig;
import dev.spinup.edge.EdgeRoute;
import dev.spinup.edge.EdgeSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives this host's Caddy through its admin API. Every table renders the whole config
 * (edge-proxy-config) from the routes as the {@link RouteGuard} allows them now, POSTs it to
 * {@code /load} and checks it took (its {@code @id}); only then is it kept on disk as the last good
 * config. When this host's workspaces change (one stops, starts, is destroyed or dies) the last
 * table is rendered again, so the edge never proxies to an app that is not there. A
 * {@link CaddyWatchdog} re-applies the last good config whenever Caddy comes back without it, so
 * Caddy serves the last routes whatever happens to the agent or the control plane.
 *
 * <p>The number stamped as the config's {@code @id} is this edge's own serial, one per load; the
 * control plane's generation only orders tables (an older one is ignored).
 *
 * <p>With a {@code caddyBinary} the agent runs Caddy itself (dev mode, {@link CaddyProcess});
 * without one, Caddy is the system's (e.g. the Debian package's systemd unit) and only its admin
 * API is used.
 */
public final class CaddyEdge implements EdgeController {
    private static final Logger log = LoggerFactory.getLogger(CaddyEdge.class);

    private final EdgeSettings settings;
    private final String address;
    private final CaddyAdmin admin;
    private final CaddyProcess process;
    private final LastGoodConfig lastGood;
    private final RouteGuard guard;
    private final CertificateWatch certificates;
    private final CaddyWatchdog watchdog;
    private final AccessVerifier verifier;
    private final AccessServer access;
    private final Activity activity = new Activity(java.time.Clock.systemUTC());
    private final PublishedRequests publishedRequests;
    /** Loads are one at a time; never held while nothing is loading (no monitor: it blocks on HTTP). */
    private final ReentrantLock lock = new ReentrantLock();

    private final MeterRegistry meters;
    private final Timer loads;

    private long appliedGeneration = -1;
    private long serial;
    private ApplyEdgeRoutes table;
    private volatile List<EdgeRoute> loaded;
    /** Ports a config Caddy runs (or may be loading) proxies to. */
    private volatile Set<Integer> held = Set.of();

    /** Without certificate reports and without a registry to check routes against (tests of the edge alone). */
    public CaddyEdge(Path dir, EdgeSettings settings, String address, Path caddyBinary) {
        this(dir, settings, address, caddyBinary, status -> {}, RouteGuard.TRUST_THE_TABLE);
    }

    /**
     * @param address      where other hosts reach this edge (host:port)
     * @param caddyBinary  run and supervise this Caddy; null to drive the system's Caddy
     * @param certificates told whenever the certificate served for a routed name changes state
     *                     (with TLS on)
     * @param guard        what this host's registry allows to be proxied
     */
    public CaddyEdge(
            Path dir,
            EdgeSettings settings,
            String address,
            Path caddyBinary,
            Consumer<dev.spinup.api.v1.CertificateStatus> certificates,
            RouteGuard guard) {
        this(dir, settings, address, caddyBinary, certificates, guard, new SimpleMeterRegistry());
    }

    /**
     * As above, counting every apply and re-render by outcome ({@code spinup_agent_edge_applies_total})
     * and timing Caddy's loads ({@code spinup_agent_edge_load_seconds}) in {@code meters}.
     */
    public CaddyEdge(
            Path dir,
            EdgeSettings settings,
            String address,
            Path caddyBinary,
            Consumer<dev.spinup.api.v1.CertificateStatus> certificates,
            RouteGuard guard,
            MeterRegistry meters) {
        this.meters = meters;
        for (String trigger : List.of("command", "refresh")) {
            for (String outcome : List.of("loaded", "unchanged", "ignored", "failed")) {
                meters.counter("spinup_agent_edge_applies", "trigger", trigger, "outcome", outcome);
            }
        }
        this.loads = meters.timer("spinup_agent_edge_load");
        this.verifier = new AccessVerifier(dir.resolve("access"), java.time.Clock.systemUTC());
        this.access = new AccessServer(
                verifier,
                activity,
                guard.previews(),
                settings.authDial().isEmpty() ? "127.0.0.1:0" : settings.authDial());
        Path publishedLog = dir.resolve("published-access.log").toAbsolutePath();
        this.publishedRequests = new PublishedRequests(publishedLog);
        this.settings = settings.withAuthDial(access.dial()).withAccessLog(publishedLog.toString());
        this.address = address;
        this.guard = guard;
        this.admin = new CaddyAdmin(this.settings.adminListen());
        this.lastGood = new LastGoodConfig(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Optional<LastGoodConfig.Config> last = lastGood.read();
        last.ifPresent(c -> {
            appliedGeneration = c.generation();
            serial = c.serial();
            table = c.table();
            if (table != null) {
                verifier.keys(table.getAccessKeysList());
            }
            // What the running config proxies to is not known exactly after a restart: hold every
            // port the table names until a config of this process is confirmed.
            held = table == null ? Set.of() : RouteGuard.proxiedPorts(routes(table));
        });
        this.certificates = this.settings.tls() == EdgeSettings.Tls.OFF
                ? null
                : new CertificateWatch(
                        localListener(this.settings),
                        this.settings.tls() == EdgeSettings.Tls.INTERNAL
                                ? Duration.ofMinutes(1)
                                : Duration.ofMinutes(15),
                        certificates);
        if (this.certificates != null) {
            this.certificates.track(last.map(LastGoodConfig.Config::hostnames).orElse(List.of()));
        }
        this.process = caddyBinary == null
                ? null
                : new CaddyProcess(dir, caddyBinary, this.settings.listen(), this.settings.adminListen(), admin);
        this.watchdog = new CaddyWatchdog(dir, this.settings, admin, process, lastGood, lock, this.certificates);
        watchdog.start();
        refresh();
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public String apply(ApplyEdgeRoutes newTable) throws DriverException {
        lock.lock();
        try {
            if (newTable.getGeneration() < appliedGeneration) {
                counted("command", "ignored");
                return "ignored generation " + newTable.getGeneration() + " (Caddy already has " + appliedGeneration
                        + ")";
            }
            return load(newTable, "generation " + newTable.getGeneration(), "command");
        } catch (DriverException | RuntimeException e) {
            counted("command", "failed");
            throw e;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void refresh() {
        lock.lock();
        try {
            if (table != null && !guard.effective(routes(table)).equals(loaded)) {
                log.atInfo()
                        .setMessage("edge_refresh")
                        .addKeyValue("generation", table.getGeneration())
                        .log();
                load(
                        table,
                        "generation " + table.getGeneration() + ", re-rendered for this host's workspaces",
                        "refresh");
            }
        } catch (DriverException | RuntimeException e) {
            counted("refresh", "failed");
            log.atWarn()
                    .setMessage("edge_refresh_failed")
                    .addKeyValue("generation", appliedGeneration)
                    .addKeyValue("error", e.getMessage())
                    .log();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Set<Integer> proxiedPorts() {
        return held;
    }

    /** Renders {@code t} as the guard allows it now and loads it, unless Caddy runs exactly that already. */
    private void counted(String trigger, String outcome) {
        meters.counter("spinup_agent_edge_applies", "trigger", trigger, "outcome", outcome)
                .increment();
    }

    private String load(ApplyEdgeRoutes t, String what, String trigger) throws DriverException {
        List<EdgeRoute> effective = guard.effective(routes(t));
        List<String> names =
                effective.stream().flatMap(r -> r.allHostnames().stream()).toList();
        long millis = 0;
        long next = serial;
        String config = null;
        if (!effective.equals(loaded)) {
            next = serial + 1;
            config = CaddyConfig.render(settings, next, effective);
            Set<Integer> both = new HashSet<>(held);
            both.addAll(RouteGuard.proxiedPorts(effective));
            held = Set.copyOf(both); // while it loads, either config may be the one running
            long started = System.nanoTime();
            admin.load(config, CaddyConfig.generationId(next));
            loads.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
            millis = (System.nanoTime() - started) / 1_000_000;
        }
        counted(trigger, config != null ? "loaded" : "unchanged");
        lastGood.write(new LastGoodConfig.Config(
                t.getGeneration(), next, config != null ? config : readLastGoodJson(), t, names));
        verifier.keys(t.getAccessKeysList());
        serial = next;
        appliedGeneration = t.getGeneration();
        table = t;
        loaded = effective;
        held = RouteGuard.proxiedPorts(effective);
        if (certificates != null) {
            certificates.track(names);
        }
        log.atInfo()
                .setMessage("edge_applied")
                .addKeyValue("generation", t.getGeneration())
                .addKeyValue("serial", next)
                .addKeyValue("routes", effective.size())
                .addKeyValue("millis", millis)
                .addKeyValue("reloaded", config != null)
                .log();
        return "Caddy serves " + effective.size() + " routes (" + what + ")"
                + (config != null ? ", loaded in " + millis + " ms" : ", unchanged");
    }

    private String readLastGoodJson() {
        try {
            return Files.readString(lastGood.json());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<EdgeRoute> routes(ApplyEdgeRoutes t) {
        return t.getRoutesList().stream().map(CaddyEdge::route).toList();
    }

    /** The agent protocol's route as edge-proxy-config takes it. */
    public static EdgeRoute route(dev.spinup.api.v1.EdgeRoute r) {
        EdgeRoute.Mode mode = switch (r.getMode()) {
            // nothing to proxy to yet: the 503 page, rather than refusing the whole table
            case EDGE_ROUTE_MODE_PROXY -> r.getUpstream().isEmpty() ? EdgeRoute.Mode.SUSPENDED : EdgeRoute.Mode.PROXY;
            case EDGE_ROUTE_MODE_SUSPENDED_PAGE -> EdgeRoute.Mode.SUSPENDED;
            case EDGE_ROUTE_MODE_ARCHIVED_PAGE -> EdgeRoute.Mode.ARCHIVED;
            case EDGE_ROUTE_MODE_FORWARD -> EdgeRoute.Mode.FORWARD;
            case EDGE_ROUTE_MODE_TOMBSTONE -> EdgeRoute.Mode.TOMBSTONE;
            case EDGE_ROUTE_MODE_UNSPECIFIED, UNRECOGNIZED ->
                throw new IllegalArgumentException("route for " + r.getWorkspaceId() + " has no mode");
        };
        return new EdgeRoute(
                r.getWorkspaceId(),
                r.getDisplayName(),
                r.getDomainsList(),
                mode,
                r.getUpstream(),
                r.getIdeHostname(),
                r.getIdeUpstream(),
                r.getAppPublic(),
                r.getPublicPortsList());
    }

    /** Where this machine reaches its own edge listener. */
    private static java.net.InetSocketAddress localListener(EdgeSettings settings) {
        String listen = settings.listen();
        String host = listen.substring(0, listen.lastIndexOf(':'));
        int port = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
        return new java.net.InetSocketAddress(host.isEmpty() || host.equals("0.0.0.0") ? "127.0.0.1" : host, port);
    }

    /** {@code binary} as given if it is a path, else looked up on PATH. */
    public static Path findBinary(String binary) {
        if (binary.contains("/")) {
            return Path.of(binary);
        }
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path candidate = Path.of(d, binary);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(binary + " is not on PATH; scripts/setup-host.sh installs Caddy");
    }

    @Override
    public java.util.Map<String, java.time.Instant> takeActivity(java.util.Map<String, Integer> idePorts) {
        java.util.Map<String, String> published = new java.util.HashMap<>();
        List<EdgeRoute> routes = loaded;
        if (routes != null) {
            for (EdgeRoute r : routes) {
                if (r.mode() == EdgeRoute.Mode.PROXY && r.appPublic()) {
                    r.hostnames().forEach(h -> published.put(h, r.workspaceId()));
                }
            }
        }
        publishedRequests.read((host, at) -> {
            String workspace = published.get(host);
            if (workspace != null) {
                activity.touch(workspace, at);
            }
        });
        return activity.take(idePorts);
    }

    @Override
    public java.util.Map<String, Long> accessOutcomes() {
        return access.outcomes();
    }

    /** The Caddy this agent runs, if it runs one (for tests). */
    public Optional<ProcessHandle> process() {
        return process == null ? Optional.empty() : process.process();
    }

    /** Stops watching; a Caddy this agent runs is stopped too (the system's Caddy keeps serving). */
    @Override
    public void close() {
        watchdog.close();
        access.close();
        lock.lock();
        try {
            if (process != null) {
                process.close();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Closes the edge and stops the Caddy it runs (which {@link #close} leaves serving). */
    public void closeAndStopCaddy() {
        close();
        if (process != null) {
            process.stop();
        }
    }
}
