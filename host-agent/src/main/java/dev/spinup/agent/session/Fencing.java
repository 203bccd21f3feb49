package dev.spinup.agent.session;

import dev.spinup.agent.drivers.DriverException;
import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.agent.drivers.VmDriver;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host, fenced: the control plane refused it as lost (PERMISSION_DENIED, reason HOST_LOST),
 * so its workspaces run elsewhere now. Every one still running here is stopped — on a thread of
 * its own, not the stream's — and its disk kept for forensics, never wiped. Each refused reconnect
 * looks again (a stop of a stopped workspace changes nothing).
 */
final class Fencing {
    private static final Logger log = LoggerFactory.getLogger(Fencing.class);
    private static final String HOST_LOST = "HOST_LOST";
    private static final int STOP_GRACE_SECONDS = 10;

    private final VmDriver driver;
    private final AtomicBoolean fenced = new AtomicBoolean();
    private final Counter stops;

    Fencing(VmDriver driver, MeterRegistry meters) {
        this.driver = driver;
        this.stops = meters.counter("spinup_agent_fenced_stops");
        meters.gauge("spinup_agent_fenced", fenced, f -> f.get() ? 1 : 0);
    }

    boolean isFenced() {
        return fenced.get();
    }

    /** A stream of the session failed with {@code t}: if it says this host is lost, stop everything here. */
    void onRefusal(Throwable t) {
        if (!HOST_LOST.equals(dev.spinup.api.ErrorInfos.reason(t))) {
            return;
        }
        if (fenced.compareAndSet(false, true)) {
            log.atError()
                    .setMessage("host_fenced")
                    .addKeyValue("reason", HOST_LOST)
                    .addKeyValue("status", Status.fromThrowable(t).getDescription())
                    .log();
        }
        Thread.ofVirtual().name("fenced-stop").start(this::stopAll);
    }

    private void stopAll() {
        for (LocalWorkspace w : driver.inventory()) {
            if (w.state() != LocalWorkspace.State.RUNNING) {
                continue;
            }
            try {
                driver.stop(w.workspaceId(), STOP_GRACE_SECONDS);
                stops.increment();
                log.atWarn()
                        .setMessage("fenced_workspace_stopped")
                        .addKeyValue("workspace", w.workspaceId())
                        .log();
            } catch (DriverException e) {
                log.atError()
                        .setMessage("fenced_workspace_stop_failed")
                        .addKeyValue("workspace", w.workspaceId())
                        .addKeyValue("error", e.getMessage())
                        .log();
            }
        }
    }
}
