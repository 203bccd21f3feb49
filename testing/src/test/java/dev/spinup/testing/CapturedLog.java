package dev.spinup.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.spinup.api.LogEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Every event this JVM logs while it is open, as the processes write them (logfmt: event, pairs, stack). */
final class CapturedLog implements AutoCloseable {
    private static final LogEncoder ENCODER = new LogEncoder();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();

    CapturedLog() {
        captured.start();
        root.addAppender(captured);
    }

    List<String> lines() {
        return List.copyOf(captured.list).stream()
                .map(e -> new String(ENCODER.encode(e), StandardCharsets.UTF_8))
                .toList();
    }

    @Override
    public void close() {
        root.detachAppender(captured);
    }
}
