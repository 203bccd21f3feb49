package dev.spinup.agent.drivers;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The qemu driver's preview ports: what each running VM's guest agent says it listens on, each
 * port forwarded from a host port of the driver's range the first time it is seen (qemu's
 * {@code hostfwd_add} on the VM's user network; the forward lasts as long as the VM).
 */
final class QemuPreviews {
    private static final Logger log = LoggerFactory.getLogger(QemuPreviews.class);

    private final QemuGuests guests;
    private final WorkspaceFiles files;
    /** The driver's lock: host ports are given out one at a time, as for new workspaces. */
    private final ReentrantLock lock;

    private final String bind;
    /** Running VMs' preview ports forwarded so far: workspace → guest port → host port. */
    private final Map<String, Map<Integer, Integer>> forwards = new ConcurrentHashMap<>();

    /** @param bind the host address forwards listen on, as the app's does */
    QemuPreviews(QemuGuests guests, WorkspaceFiles files, ReentrantLock lock, String bind) {
        this.guests = guests;
        this.files = files;
        this.lock = lock;
        this.bind = bind;
    }

    /**
     * workspace → guest port → where this host dials it, for the {@code running} VMs. A VM that
     * does not answer now is left out of this look.
     */
    Map<String, Map<Integer, String>> scan(Collection<String> running) {
        Map<String, Map<Integer, String>> previews = new HashMap<>();
        for (String id : running) {
            try {
                List<Integer> listening = guests.listeningPorts(id);
                Map<Integer, Integer> forwarded = forwards.computeIfAbsent(id, k -> new ConcurrentHashMap<>());
                Map<Integer, String> dial = new TreeMap<>();
                for (int guestPort : listening) {
                    Integer hostPort = forwarded.get(guestPort);
                    if (hostPort == null) {
                        hostPort = forward(id, guestPort);
                        forwarded.put(guestPort, hostPort);
                    }
                    dial.put(guestPort, "127.0.0.1:" + hostPort);
                }
                if (!dial.isEmpty()) {
                    previews.put(id, dial);
                }
            } catch (DriverException e) {
                log.atDebug()
                        .setMessage("preview_ports_unknown")
                        .addKeyValue("workspace", id)
                        .addKeyValue("reason", e.getMessage())
                        .log();
            }
        }
        return previews;
    }

    /** The VM stopped: its forwards went with it. */
    void ended(String workspaceId) {
        forwards.remove(workspaceId);
    }

    private int forward(String workspaceId, int guestPort) throws DriverException {
        lock.lock();
        try {
            int hostPort = files.allocatePort(Set.of());
            guests.forward(workspaceId, bind, hostPort, guestPort);
            log.atInfo()
                    .setMessage("vm_port_forwarded")
                    .addKeyValue("workspace", workspaceId)
                    .addKeyValue("guest_port", guestPort)
                    .addKeyValue("host_port", hostPort)
                    .log();
            return hostPort;
        } finally {
            lock.unlock();
        }
    }
}
