package dev.spinup.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for servers a test starts at a fixed address (Caddy's listen and admin addresses, a child
 * control plane's gRPC port). They come from below the kernel's ephemeral range (32768–60999 on
 * Linux), one after another: a port taken from {@code new ServerSocket(0)} and closed again is
 * the very kind the kernel hands out next to any other {@code bind(0)} in the run (the agent's
 * verifier, a gRPC server), so the server meant to get it could find it taken. Workspace port
 * ranges ({@link AgentLauncher}) start at 21000, above these.
 */
public final class Ports {
    private static final int FIRST = 12_000;
    private static final int END = 21_000;
    private static final AtomicInteger next =
            new AtomicInteger(FIRST + (int) (ProcessHandle.current().pid() * 389 % (END - FIRST)));

    private Ports() {}

    /** A port on the loopback address nothing listens on right now and this run has not handed out before. */
    public static int free() {
        for (int tries = 0; tries < END - FIRST; tries++) {
            int port = FIRST + Math.floorMod(next.getAndIncrement() - FIRST, END - FIRST);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException inUse) {
                // taken by something outside this run: try the next one
            }
        }
        throw new IllegalStateException("no free port in " + FIRST + ".." + END);
    }
}
