package dev.spinup.agent.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest channel is one stream of lines shared by every asker of a VM: a guest on a real Unix
 * socket, speaking the guest agent's protocol, answers while two askers use the channel at once.
 */
class GuestChannelTest {
    @TempDir
    Path driverRoot;

    QemuGuests guests;
    ServerSocketChannel server;
    Thread guest;
    final String workspace = UUID.randomUUID().toString();
    final AtomicInteger portsAnswered = new AtomicInteger();

    @BeforeEach
    void startGuest() throws IOException {
        guests = new QemuGuests(driverRoot);
        guests.prepareSockets(workspace);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(guests.sockets(workspace).resolve("guest.sock")));
        guest = Thread.ofPlatform().daemon().start(this::serve);
    }

    @AfterEach
    void stop() throws IOException {
        guests.close();
        server.close();
        guests.removeSockets(workspace);
    }

    /**
     * Answers as guest-agent.js does: {@code ports} at once, {@code sync} when sync(1) returns, a
     * while later and after any question that came in meanwhile.
     */
    private void serve() {
        try (SocketChannel socket = server.accept();
                var in = new BufferedReader(
                        new InputStreamReader(Channels.newInputStream(socket), StandardCharsets.UTF_8));
                OutputStream out = Channels.newOutputStream(socket)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("sync")) {
                    Thread.ofVirtual().start(() -> {
                        try {
                            Thread.sleep(200);
                            write(out, "synced");
                        } catch (InterruptedException | IOException closed) {
                            // the test is over
                        }
                    });
                } else {
                    write(out, line + " 3000");
                }
            }
        } catch (IOException closed) {
            // the test is over
        }
    }

    private static void write(OutputStream out, String line) throws IOException {
        synchronized (out) {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    @Test
    void aFlushGetsItsAnswerWhileThePreviewScanAsksForPorts() throws Exception {
        AtomicBoolean flushing = new AtomicBoolean(true);
        var scan = java.util.concurrent.CompletableFuture.runAsync(() -> {
            while (flushing.get()) {
                try {
                    assertEquals(List.of(3000), guests.listeningPorts(workspace));
                    portsAnswered.incrementAndGet();
                } catch (DriverException e) {
                    throw new AssertionError(e);
                }
            }
        });
        try {
            while (portsAnswered.get() == 0 && !scan.isDone()) {
                Thread.onSpinWait(); // the scan holds the channel from time to time before the flush starts
            }
            for (int i = 0; i < 3 && !scan.isDone(); i++) {
                QemuLiveBackup.flush(workspace, guests.guestChannel(workspace)); // throws guest_silent when lost
            }
        } finally {
            flushing.set(false);
        }
        scan.join(); // the scan's own answers were never taken by the flush
        assertTrue(portsAnswered.get() > 0);
    }
}
