package dev.spinup.agent.edge;

import dev.spinup.agent.drivers.OwnSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Caddy this agent runs itself (dev mode): its XDG directories under the edge directory,
 * started from the last good config, started again when it dies, and adopted rather than started
 * twice when a previous agent process left one running.
 */
final class CaddyProcess implements AutoCloseable {
    /** How long a started Caddy has to answer on its admin API. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(CaddyProcess.class);

    private final Path dir;
    private final Path binary;
    private final String listen;
    private final String adminListen;
    private final CaddyAdmin admin;
    private volatile ProcessHandle caddy;

    CaddyProcess(Path dir, Path binary, String listen, String adminListen, CaddyAdmin admin) {
        this.dir = dir;
        this.binary = binary;
        this.listen = listen;
        this.adminListen = adminListen;
        this.admin = admin;
    }

    boolean alive() {
        ProcessHandle p = caddy;
        return p != null && p.isAlive();
    }

    long pid() {
        ProcessHandle p = caddy;
        return p == null ? -1 : p.pid();
    }

    Optional<ProcessHandle> process() {
        return Optional.ofNullable(caddy);
    }

    /**
     * Starts Caddy with {@code config} (the last good one, or an empty bootstrap) unless one this
     * agent recorded answers on the admin address already, and waits until its admin API answers.
     */
    void ensureRunning(Path config) {
        if (alive()) {
            return;
        }
        Optional<ProcessHandle> previous = readPid().flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
        if (previous.isPresent() && admin.answers()) {
            caddy = previous.get();
            log.atInfo()
                    .setMessage("caddy_adopted")
                    .addKeyValue("pid", caddy.pid())
                    .log();
            return;
        }
        if (admin.answers()) {
            // Not the Caddy this agent recorded: loading our routes into it would replace its sites.
            throw new ForeignEdgeException("the edge admin address " + adminListen
                    + " is answered by a process this agent did not start (another Caddy?); refusing to load"
                    + " the edge's routes into it. Stop it, or give this agent another --edge-admin"
                    + " (./spinup dev: SPINUP_EDGE_ADMIN_PORT)");
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(
                            OwnSession.command(List.of(binary.toString(), "run", "--config", config.toString())))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            dir.resolve("caddy.log").toFile()));
            Map<String, String> env = pb.environment();
            env.put("HOME", dir.resolve("home").toString());
            env.put("XDG_DATA_HOME", dir.resolve("xdg-data").toString());
            env.put("XDG_CONFIG_HOME", dir.resolve("xdg-config").toString());
            caddy = pb.start().toHandle();
            Files.writeString(dir.resolve("caddy.pid"), Long.toString(caddy.pid()));
            log.atInfo()
                    .setMessage("caddy_started")
                    .addKeyValue("pid", caddy.pid())
                    .addKeyValue("admin", adminListen)
                    .addKeyValue("listen", listen)
                    .log();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Caddy (" + binary + ")", e);
        }
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (!admin.answers()) {
            if (!alive() || Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("Caddy did not come up on " + adminListen
                        + (alive() ? " within " + START_TIMEOUT.toSeconds() + " s" : ": it exited") + "; "
                        + dir.resolve("caddy.log")
                        + " ends with:\n" + logTail());
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // polling its admin API, bounded above
        }
    }

    /** The last lines of Caddy's log: why it did not start (an address in use, a bad config). */
    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("caddy.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(cannot read it: " + e.getMessage() + ")";
        }
    }

    private Optional<Long> readPid() {
        try {
            Path pid = dir.resolve("caddy.pid");
            return Files.exists(pid)
                    ? Optional.of(Long.parseLong(Files.readString(pid).trim()))
                    : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * The agent stops; Caddy does not: it keeps serving the last routes (its own session, its pid
     * in caddy.pid), and the next agent on this data directory adopts it.
     */
    @Override
    public void close() {
        ProcessHandle p = caddy;
        if (p != null && p.isAlive()) {
            log.atInfo()
                    .setMessage("caddy_left_running")
                    .addKeyValue("pid", p.pid())
                    .addKeyValue("reason", "it keeps serving; the next agent adopts it")
                    .log();
        }
    }

    /** Stops Caddy too (a host taken out of service; tests). */
    void stop() {
        ProcessHandle p = caddy;
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
    }
}
