package dev.spinup.agent.edge;

import dev.spinup.agent.drivers.DriverException;
import dev.spinup.edge.CaddyConfig;
import dev.spinup.edge.EdgeSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Caddy serving the last good config whatever happens to it, the agent or the control
 * plane: every two seconds it starts a Caddy this agent runs if it exited, re-loads the last good
 * config if Caddy answers without it (it restarted, or this is a new agent), and has the served
 * certificates checked.
 */
final class CaddyWatchdog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CaddyWatchdog.class);
    private static final Duration WATCH_EVERY = Duration.ofSeconds(2);

    private final Path dir;
    private final EdgeSettings settings;
    private final CaddyAdmin admin;
    private final CaddyProcess process;
    private final LastGoodConfig lastGood;
    private final ReentrantLock loads;
    private final CertificateWatch certificates;
    private Thread thread;
    private volatile boolean closing;

    /**
     * @param process      the Caddy this agent runs, or null when it drives the system's
     * @param loads        the edge's load lock: a re-load never overlaps a new table's
     * @param certificates null with TLS off
     */
    CaddyWatchdog(
            Path dir,
            EdgeSettings settings,
            CaddyAdmin admin,
            CaddyProcess process,
            LastGoodConfig lastGood,
            ReentrantLock loads,
            CertificateWatch certificates) {
        this.dir = dir;
        this.settings = settings;
        this.admin = admin;
        this.process = process;
        this.lastGood = lastGood;
        this.loads = loads;
        this.certificates = certificates;
    }

    /** Brings Caddy up with the last good config (once, before the edge takes tables), then watches. */
    void start() {
        if (process != null) {
            process.ensureRunning(startupConfig());
        }
        restoreLastGood();
        thread = Thread.ofPlatform().daemon().name("caddy-watchdog").start(this::watch);
    }

    /** The config Caddy starts with: the last good one, or (a new host) no routes: every name gets the 404 page. */
    private Path startupConfig() {
        try {
            if (Files.exists(lastGood.json())) {
                return lastGood.json();
            }
            Path bootstrap = dir.resolve("bootstrap.json");
            Files.writeString(bootstrap, CaddyConfig.render(settings, 0, List.of()));
            return bootstrap;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** If Caddy runs without the last good config, loads it. */
    private void restoreLastGood() {
        loads.lock();
        try {
            Optional<LastGoodConfig.Config> last = lastGood.read();
            if (last.isEmpty()) {
                return;
            }
            String id = CaddyConfig.generationId(last.get().serial());
            if (admin.answers() && !admin.has(id)) {
                admin.load(last.get().json(), id);
                log.atWarn()
                        .setMessage("edge_reapplied")
                        .addKeyValue("generation", last.get().generation())
                        .addKeyValue("serial", last.get().serial())
                        .addKeyValue("reason", "Caddy came back without it")
                        .log();
            }
        } catch (DriverException | IOException e) {
            log.atError()
                    .setMessage("edge_reapply_failed")
                    .addKeyValue("error", e.getMessage())
                    .log();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            loads.unlock();
        }
    }

    private void watch() {
        while (!closing) {
            LockSupport.parkNanos(WATCH_EVERY.toNanos());
            if (closing) {
                return;
            }
            try {
                if (process != null && !process.alive()) {
                    // the watchdog repairs it: a warning (the edge is down until it is back)
                    log.atWarn()
                            .setMessage("caddy_exited")
                            .addKeyValue("pid", process.pid())
                            .addKeyValue("repair", "starting_it_again")
                            .log();
                    process.ensureRunning(startupConfig());
                }
                restoreLastGood();
                if (certificates != null) {
                    certificates.check(Instant.now());
                }
            } catch (RuntimeException e) {
                log.atError()
                        .setMessage("caddy_watchdog_failed")
                        .addKeyValue("error", e.toString())
                        .log();
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
