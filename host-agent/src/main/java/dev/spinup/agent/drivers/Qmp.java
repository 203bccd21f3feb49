package dev.spinup.agent.drivers;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal client of the QEMU Machine Protocol on a VM's {@code qmp.sock}: a session sends
 * commands and reads their answers, and can wait for an asynchronous event (a block job's
 * completion). Messages are JSON objects, one per line; events that arrive while waiting for an
 * answer are skipped.
 */
final class Qmp implements AutoCloseable {
    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;

    private Qmp(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
        if (in.readLine() == null) {
            throw new IOException("QMP closed before its greeting");
        }
        execute("qmp_capabilities", Map.of());
    }

    static Qmp open(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new Qmp(channel);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /** Executes one command without arguments in its own session. */
    static void execute(Path socket, String command) throws IOException {
        try (Qmp qmp = open(socket)) {
            qmp.execute(command, Map.of());
        }
    }

    /**
     * Executes {@code command} with {@code arguments}; returns its answer's {@code return} member,
     * or null when qemu closed the connection instead (it does on "quit"). An {@code error} answer
     * is an IOException with qemu's description.
     */
    Object execute(String command, Map<String, ?> arguments) throws IOException {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("execute", command);
        if (!arguments.isEmpty()) {
            request.put("arguments", arguments);
        }
        out.write((JSON.std.asString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        for (String line; (line = in.readLine()) != null; ) {
            Map<String, Object> message = JSON.std.mapFrom(line);
            if (message.containsKey("return")) {
                return message.get("return");
            }
            if (message.get("error") instanceof Map<?, ?> error) {
                throw new IOException("QMP " + command + " failed: " + error.get("class") + ": " + error.get("desc"));
            }
            // an event: skip it
        }
        return null;
    }

    /** Waits for the event {@code name}; returns its {@code data}. Past {@code timeout} the session is closed. */
    Map<?, ?> awaitEvent(String name, Duration timeout) throws IOException {
        // a blocking channel has no read timeout: a watchdog closes it at the deadline instead
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(timeout);
                channel.close();
            } catch (InterruptedException | IOException e) {
                // the event came first, or closing anyway
            }
        });
        try {
            for (String line; (line = in.readLine()) != null; ) {
                Map<String, Object> message = JSON.std.mapFrom(line);
                if (name.equals(message.get("event"))) {
                    return message.get("data") instanceof Map<?, ?> data ? data : Map.of();
                }
            }
            throw new IOException("QMP closed while waiting for " + name);
        } catch (IOException e) {
            throw channel.isOpen() ? e : new IOException("no " + name + " within " + timeout.toSeconds() + "s", e);
        } finally {
            watchdog.interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
