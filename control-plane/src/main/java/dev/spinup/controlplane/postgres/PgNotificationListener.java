package dev.spinup.controlplane.postgres;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One LISTEN connection per replica, dispatching NOTIFY payloads by channel. Reconnects on failure
 * and then calls every handler with an empty payload, since notifications sent while it was
 * disconnected are lost (callers treat "" as "check everything").
 */
public final class PgNotificationListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PgNotificationListener.class);

    private final Database db;
    private final Map<String, Consumer<String>> handlers;
    private final Counter listenFailures;
    private final Counter handlerFailures;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Connection connection;

    public PgNotificationListener(Database db, Map<String, Consumer<String>> handlers, MeterRegistry meters) {
        this.db = db;
        this.handlers = Map.copyOf(handlers);
        // documented series exist from start, at 0, so a rate() sees their first increase
        this.listenFailures = meters.counter("spinup_background_failures", "loop", "pg_listen");
        this.handlerFailures = meters.counter("spinup_background_failures", "loop", "pg_notify_handler");
        this.thread = Thread.ofPlatform().daemon().name("pg-listen").unstarted(this::loop);
    }

    public void start() {
        thread.start();
    }

    private void loop() {
        boolean reconnecting = false;
        while (running) {
            try (Connection c = db.openDedicatedConnection();
                    Statement s = c.createStatement()) {
                connection = c;
                for (String channel : handlers.keySet()) {
                    s.execute("LISTEN " + channel);
                }
                if (reconnecting) {
                    handlers.values().forEach(h -> h.accept(""));
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(1000);
                    if (notifications == null) {
                        continue;
                    }
                    for (PGNotification n : notifications) {
                        Consumer<String> handler = handlers.get(n.getName());
                        if (handler != null) {
                            try {
                                handler.accept(n.getParameter());
                            } catch (RuntimeException e) {
                                handlerFailures.increment();
                                log.atWarn()
                                        .setMessage("notify_handler_failed")
                                        .addKeyValue("channel", n.getName())
                                        .addKeyValue("error", e.toString())
                                        .log();
                            }
                        }
                    }
                }
            } catch (SQLException e) {
                if (!running) {
                    return;
                }
                listenFailures.increment();
                log.atWarn()
                        .setMessage("pg_listen_failed")
                        .addKeyValue("error", e.toString())
                        .addKeyValue("retry_in_ms", 1000)
                        .log();
                reconnecting = true;
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // closing anyway
            }
        }
        thread.interrupt();
    }
}
