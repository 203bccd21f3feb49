package dev.spinup.testing.dns;

import dev.spinup.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real authoritative DNS server for tests: Debian's BIND ({@code named}) in the foreground, on a
 * free loopback port, serving one zone that accepts dynamic updates (RFC 2136) signed with a TSIG
 * key (HMAC-SHA256) made for this run. A fixture, never production code.
 */
public final class BindServer implements AutoCloseable {
    public static final String KEY_NAME = "spinup-test";

    private final Process process;
    private final int port;
    private final String secret;
    private final Path log;

    private BindServer(Process process, int port, String secret, Path log) {
        this.process = process;
        this.port = port;
        this.secret = secret;
        this.log = log;
    }

    /** Starts named with {@code zone} empty but for its SOA and NS, and waits until it answers. */
    public static BindServer start(Path dir, String zone) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        int port = Ports.free();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String secret = Base64.getEncoder().encodeToString(key);
        String d = dir.toAbsolutePath().toString();
        Files.writeString(dir.resolve("named.conf"), """
                options {
                    directory "%1$s";
                    listen-on port %2$d { 127.0.0.1; };
                    listen-on-v6 { none; };
                    pid-file "%1$s/named.pid";
                    session-keyfile "%1$s/session.key";
                    managed-keys-directory "%1$s";
                    recursion no;
                    dnssec-validation no;
                };
                controls { };
                key "%3$s" { algorithm hmac-sha256; secret "%4$s"; };
                zone "%5$s" { type primary; file "%1$s/zone.db"; allow-update { key "%3$s"; }; };
                """.formatted(d, port, KEY_NAME, secret, zone));
        Files.writeString(dir.resolve("zone.db"), """
                $TTL 60
                @ IN SOA ns.%1$s. hostmaster.%1$s. 1 3600 600 86400 60
                @ IN NS ns.%1$s.
                ns IN A 127.0.0.1
                """.formatted(zone));
        Path log = dir.resolve("named.log");
        Process process = new ProcessBuilder(
                        named(),
                        "-g",
                        "-n",
                        "1",
                        "-c",
                        dir.resolve("named.conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        BindServer server = new BindServer(process, port, secret, log);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!Files.readString(log).contains("running")) {
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                server.close();
                throw new IllegalStateException("named did not start: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        return server;
    }

    /** As {@link #start}, in a temporary directory: for a test class's static field, before its cluster starts. */
    public static BindServer startInTemporaryDirectory(String zone) {
        try {
            return start(Files.createTempDirectory("spinup-bind"), zone);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Debian's named: on the PATH, or in /usr/sbin (not on a user's PATH). */
    private static String named() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, "named"))) {
                return Path.of(dir, "named").toString();
            }
        }
        return "/usr/sbin/named";
    }

    public int port() {
        return port;
    }

    /** The TSIG key's secret, base64. */
    public String secret() {
        return secret;
    }

    /** The values of {@code name}'s records of {@code type} (e.g. {@link Type#A}), as the server answers now. */
    public List<String> lookup(String name, int type) throws IOException {
        SimpleResolver resolver = new SimpleResolver("127.0.0.1");
        resolver.setPort(port);
        resolver.setTimeout(Duration.ofSeconds(5));
        Message answer = resolver.send(Message.newQuery(
                Record.newRecord(Name.fromString(name.endsWith(".") ? name : name + "."), type, DClass.IN)));
        return answer.getSection(Section.ANSWER).stream()
                .filter(r -> r.getType() == type)
                .map(r -> r.rdataToString())
                .toList();
    }

    /** The server's own log (for a failing test's message). */
    public String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
