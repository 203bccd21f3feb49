package dev.spinup.agent.drivers;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * This machine's TCP sockets as Linux's {@code /proc/net/tcp} and {@code tcp6} list them, and
 * which process holds which ({@code /proc/<pid>/fd}). Elsewhere (not Linux) there are none.
 */
public final class TcpSockets {
    /** /proc/net/tcp's state of a listening socket. */
    static final String LISTEN = "0A";
    /** /proc/net/tcp's state of an established connection. */
    public static final String ESTABLISHED = "01";

    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

    private TcpSockets() {}

    /**
     * One socket: its local port; the host a process on this machine dials to reach it
     * ({@code 127.0.0.1} for a wildcard or IPv4 loopback address, {@code [::1]} for IPv6
     * loopback, null for any other address); its state and its inode.
     */
    public record Socket(int port, String dialHost, String state, long inode) {}

    /** Every TCP socket on this machine (IPv4 and IPv6). */
    public static List<Socket> all() {
        List<Socket> sockets = new ArrayList<>();
        for (Path table : TABLES) {
            List<String> lines;
            try {
                lines = Files.readAllLines(table);
            } catch (IOException e) {
                continue; // no IPv6, or not Linux: nothing to see there
            }
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                Socket s = parse(line);
                if (s != null) {
                    sockets.add(s);
                }
            }
        }
        return sockets;
    }

    /** A line of /proc/net/tcp{,6}: {@code sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...}. */
    static Socket parse(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 10 || f[1].indexOf(':') < 0) {
            return null;
        }
        String address = f[1].substring(0, f[1].indexOf(':'));
        try {
            int port = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
            return new Socket(port, dialHost(address), f[3], Long.parseLong(f[9]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The address as /proc prints it: IPv4 as 8 hex digits in host byte order (127.0.0.1 is
     * 0100007F), IPv6 as 32 (four 32-bit words, each in host byte order).
     */
    private static String dialHost(String hex) {
        if (hex.chars().allMatch(c -> c == '0')) {
            return "127.0.0.1"; // 0.0.0.0 or ::, which on Linux takes IPv4 too
        }
        if (hex.length() == 8) {
            return hex.endsWith("7F") ? "127.0.0.1" : null;
        }
        if (hex.equals("00000000000000000000000001000000")) {
            return "[::1]";
        }
        return hex.startsWith("0000000000000000FFFF0000") && hex.endsWith("7F") ? "127.0.0.1" : null;
    }

    /**
     * The listening sockets each of {@code processes} (by pid) holds that this machine can dial,
     * from the sockets among its open files: pid → port → dial address (host:port). Processes
     * that are gone or not ours to read are left out.
     */
    public static Map<Long, Map<Integer, String>> listening(Set<Long> processes) {
        Map<Long, Socket> byInode = new HashMap<>();
        for (Socket s : all()) {
            if (s.state().equals(LISTEN) && s.dialHost() != null) {
                byInode.put(s.inode(), s);
            }
        }
        Map<Long, Map<Integer, String>> ports = new HashMap<>();
        for (long pid : processes) {
            Map<Integer, String> mine = new HashMap<>();
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
                for (Path fd : fds) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(fd).toString();
                    } catch (IOException closedMeanwhile) {
                        continue;
                    }
                    if (target.startsWith("socket:[")) {
                        Socket s = byInode.get(Long.parseLong(target.substring(8, target.length() - 1)));
                        if (s != null) {
                            // a port held on both IPv4 and IPv6 loopback is dialled on IPv4
                            mine.merge(s.port(), s.dialHost() + ":" + s.port(), (a, b) -> a.startsWith("[") ? b : a);
                        }
                    }
                }
            } catch (IOException | SecurityException goneOrNotOurs) {
                continue;
            }
            if (!mine.isEmpty()) {
                ports.put(pid, mine);
            }
        }
        return ports;
    }
}
