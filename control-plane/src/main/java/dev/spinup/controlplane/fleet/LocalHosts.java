package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Envelope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code local} capacity provider's hands: real host agents on this machine, each with its own
 * data directory, port range and name, enrolled with a one-time token exactly as a new cloud
 * instance would be (the agent's own {@code enroll}), then run until stopped. Everything is keyed
 * by the host's name, so starting one that exists (enrolled, or running) is a no-op: a scale-up
 * repeated after a crash starts nothing twice. Never called inside a transaction.
 */
public final class LocalHosts {
    private static final Logger log = LoggerFactory.getLogger(LocalHosts.class);
    private static final Duration ENROLL_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    /**
     * @param agentCommand how to run the host agent's Main here (e.g. {@code ./spinup agent} without
     *     the subcommand's options: {@code java -cp … dev.spinup.agent.Main})
     * @param root where each host gets its data directory
     * @param controlPlanes the addresses the agents dial, host:port, comma separated
     * @param caCertificate the control plane's CA certificate (what an instance gets out of band)
     * @param capacity what each host offers
     * @param firstPort the first workspace port of the first host; the n-th gets {@code
     *     portsPerHost} from {@code firstPort + n * portsPerHost}
     */
    public record Config(
            List<String> agentCommand,
            Path root,
            String controlPlanes,
            Path caCertificate,
            Envelope capacity,
            int firstPort,
            int portsPerHost) {
        public Config {
            agentCommand = List.copyOf(agentCommand);
        }
    }

    private final Config config;
    /** One start or stop at a time: port slots are handed out in order. */
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

    public LocalHosts(Config config) {
        this.config = config;
    }

    /** What each host offers. */
    public Envelope capacity() {
        return config.capacity();
    }

    /**
     * Makes the host named {@code fqdn} run: enrolls it with a token from {@code token} unless it
     * has credentials already, then starts its agent unless one runs. Each new host gets the next
     * free port range (kept in its directory). Returns the host's name.
     */
    public String start(String fqdn, java.util.function.Supplier<String> token) {
        Path dir = config.root().resolve(fqdn);
        lock.lock();
        try {
            int slot = slot(dir);
            if (!Files.exists(dir.resolve("host.crt"))) {
                enroll(fqdn, dir, token.get());
            }
            if (running(dir).isEmpty()) {
                int from = config.firstPort() + slot * config.portsPerHost();
                List<String> command = new ArrayList<>(config.agentCommand());
                command.addAll(List.of(
                        "--control-plane", config.controlPlanes(),
                        "--cert", dir.resolve("host.crt").toString(),
                        "--key", dir.resolve("host.key").toString(),
                        "--ca", dir.resolve("ca.crt").toString(),
                        "--data-dir", dir.toString(),
                        "--port-range", from + "-" + (from + config.portsPerHost() - 1),
                        "--edge", "none",
                        "--metrics-port", "0"));
                Process agent = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(
                                dir.resolve("agent.log").toFile()))
                        .start();
                Files.writeString(dir.resolve("agent.pid"), Long.toString(agent.pid()));
                log.atInfo()
                        .setMessage("local_host_started")
                        .addKeyValue("host", fqdn)
                        .addKeyValue("pid", agent.pid())
                        .log();
            }
            return fqdn;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start local host " + fqdn, e);
        } finally {
            lock.unlock();
        }
    }

    /** Whether this started (or enrolled) the host named {@code fqdn}. */
    public boolean has(String fqdn) {
        return Files.exists(config.root().resolve(fqdn).resolve("host.crt"));
    }

    /** Stops the agent of the host named {@code fqdn} (its credentials stay); false if none ran. */
    public boolean stop(String fqdn) {
        lock.lock();
        try {
            Optional<ProcessHandle> agent = running(config.root().resolve(fqdn));
            if (agent.isEmpty()) {
                return false;
            }
            ProcessHandle p = agent.get();
            p.destroy();
            try {
                p.onExit().get(STOP_GRACE.toSeconds(), TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
            log.atInfo()
                    .setMessage("local_host_stopped")
                    .addKeyValue("host", fqdn)
                    .log();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The host's port slot: the one its directory records, else the next one, recorded. */
    private int slot(Path dir) throws IOException {
        Path file = dir.resolve("port-slot");
        if (Files.exists(file)) {
            return Integer.parseInt(Files.readString(file).strip());
        }
        Files.createDirectories(config.root());
        int next;
        try (var dirs = Files.list(config.root())) {
            next = (int) dirs.filter(d -> Files.exists(d.resolve("port-slot"))).count();
        }
        Files.createDirectories(dir);
        Files.writeString(file, Integer.toString(next));
        return next;
    }

    /** The agent process a host's pid file names, if it still runs. */
    private static Optional<ProcessHandle> running(Path dir) {
        Path pid = dir.resolve("agent.pid");
        try {
            return Files.exists(pid)
                    ? ProcessHandle.of(Long.parseLong(Files.readString(pid).strip()))
                            .filter(ProcessHandle::isAlive)
                    : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void enroll(String fqdn, Path dir, String token) throws IOException {
        List<String> command = new ArrayList<>(config.agentCommand());
        Envelope c = config.capacity();
        command.addAll(List.of(
                "enroll",
                "--control-plane",
                config.controlPlanes().split(",")[0],
                "--ca",
                config.caCertificate().toString(),
                "--fqdn",
                fqdn,
                "--capacity",
                c.vcpu() + "," + c.ramGb() + "," + c.diskGb(),
                "--out",
                dir.toString()));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("enroll.log").toFile()));
        pb.environment().put("SPINUP_ENROLLMENT_TOKEN", token); // not on the command line, where ps shows it
        Process p = pb.start();
        try {
            if (!p.waitFor(ENROLL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("enrolling " + fqdn + " took longer than " + ENROLL_TIMEOUT.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while enrolling " + fqdn, e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("enrolling " + fqdn + " failed (exit " + p.exitValue() + "): "
                    + Files.readString(dir.resolve("enroll.log")).strip());
        }
    }
}
