package dev.spinup.agent.drivers;

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

/**
 * A minimal client of the QEMU Machine Protocol on a VM's {@code qmp.sock}: a session sends
 * commands (JSON arguments as text) and reads their answers, and can wait for an asynchronous
 * event (a block job's completion). Events that arrive while waiting for an answer are skipped.
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
        execute("qmp_capabilities", null);
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

    /** Executes one command without arguments in its own session; returns the raw answer line. */
    static String execute(Path socket, String command) throws IOException {
        try (Qmp qmp = open(socket)) {
            return qmp.execute(command, null);
        }
    }

    /**
     * Executes {@code command} with {@code arguments} (a JSON object, or null); returns the raw
     * answer line, or "" when qemu closed the connection instead (it does on "quit").
     */
    String execute(String command, String arguments) throws IOException {
        out.write(("{\"execute\":\"" + command + "\"" + (arguments == null ? "" : ",\"arguments\":" + arguments)
                + "}\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("{\"return\"")) {
                return line;
            }
            if (line.startsWith("{\"error\"")) {
                throw new IOException("QMP " + command + " failed: " + line);
            }
            // an event: skip it
        }
        return "";
    }

    /** Waits for the event {@code name}; returns its line. Past {@code timeout} the session is closed. */
    String awaitEvent(String name, Duration timeout) throws IOException {
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
                if (line.replace(" ", "").contains("\"event\":\"" + name + "\"")) {
                    return line;
                }
            }
            throw new IOException("QMP closed while waiting for " + name);
        } catch (IOException e) {
            throw channel.isOpen() ? e : new IOException("no " + name + " within " + timeout.toSeconds() + "s", e);
        } finally {
            watchdog.interrupt();
        }
    }

    /** A JSON string literal of {@code s}. */
    static String string(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
