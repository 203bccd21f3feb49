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

/**
 * A minimal client of the QEMU Machine Protocol on a VM's {@code qmp.sock}: one connection per
 * command (greeting, {@code qmp_capabilities}, the command, its answer). Asynchronous events that
 * arrive in between are skipped.
 */
final class Qmp {
    private Qmp() {
    }

    /** Executes {@code command} (a QMP command name without arguments); returns the raw answer line. */
    static String execute(Path socket, String command) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                    StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(channel);
            if (in.readLine() == null) {
                throw new IOException("QMP closed before its greeting");
            }
            answer(in, out, "qmp_capabilities");
            return answer(in, out, command);
        }
    }

    private static String answer(BufferedReader in, OutputStream out, String command) throws IOException {
        out.write(("{\"execute\":\"" + command + "\"}\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        for (String line; (line = in.readLine()) != null; ) {
            if (line.contains("\"return\"")) {
                return line;
            }
            if (line.contains("\"error\"")) {
                throw new IOException("QMP " + command + " failed: " + line);
            }
            // an event: skip it
        }
        // "quit" closes the connection instead of answering when qemu exits first
        return "";
    }
}
