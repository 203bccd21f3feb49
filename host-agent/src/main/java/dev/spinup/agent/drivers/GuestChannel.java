package dev.spinup.agent.drivers;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The host end of a VM's guest channel: qemu exposes the guest's virtio-serial port
 * {@code spinup.guest} as a Unix socket, and the guest agent speaks a line protocol on it
 * (vm-base-config/image/guest-agent.js): {@code status} / {@code shutdown} down,
 * {@code ready}, {@code status <state> <restarts>}, {@code stopping}, {@code app-exited <code>} up.
 */
final class GuestChannel implements AutoCloseable {
    private final java.util.concurrent.locks.ReentrantLock writing = new java.util.concurrent.locks.ReentrantLock();
    private final SocketChannel socket;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    private GuestChannel(SocketChannel socket, String name, Consumer<String> unsolicited) {
        this.socket = socket;
        this.reader = Thread.ofVirtual().name("guest-channel-" + name).start(() -> read(unsolicited));
    }

    /** Connects to the socket qemu listens on, retrying until it exists or {@code timeout} passes. */
    static GuestChannel connect(Path path, String name, Duration timeout, Consumer<String> unsolicited)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                socket.connect(UnixDomainSocketAddress.of(path));
                return new GuestChannel(socket, name, unsolicited);
            } catch (IOException e) {
                socket.close();
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20); // qemu creates the socket as it starts; bounded by the deadline
            }
        }
    }

    private void read(Consumer<String> unsolicited) {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        StringBuilder line = new StringBuilder();
        try {
            while (socket.read(buffer.clear()) > 0) {
                line.append(StandardCharsets.UTF_8.decode(buffer.flip()));
                int nl;
                while ((nl = line.indexOf("\n")) >= 0) {
                    String message = line.substring(0, nl).trim();
                    line.delete(0, nl + 1);
                    if (message.startsWith("app-exited")) {
                        unsolicited.accept(message);
                    } else {
                        lines.add(message);
                    }
                }
            }
        } catch (IOException closed) {
            // the VM went away or the channel was closed
        }
        lines.add("closed");
    }

    void send(String command) throws IOException {
        ByteBuffer out = StandardCharsets.UTF_8.encode(command + "\n");
        writing.lock();
        try {
            while (out.hasRemaining()) {
                socket.write(out);
            }
        } finally {
            writing.unlock();
        }
    }

    /** The next message from the guest, or null after {@code timeout}; "closed" once the VM is gone. */
    String next(Duration timeout) throws InterruptedException {
        String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if ("closed".equals(line)) {
            lines.add(line); // stays closed for the next reader
        }
        return line;
    }

    boolean isOpen() {
        return socket.isOpen() && reader.isAlive();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
