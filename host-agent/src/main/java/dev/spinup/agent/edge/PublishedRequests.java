package dev.spinup.agent.edge;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests Caddy let through to published apps, which no verifier sees: Caddy logs them to
 * {@code EdgeSettings#accessLog} (one JSON object per line, with only the host and the time, see
 * {@code CaddyConfig}), and each read takes the lines added since the last. When Caddy rolls the
 * file (at 1 MB) the new one is read from its start; what was appended to the old one after the
 * last read is not counted, at most one heartbeat's requests, which the next request reports again.
 */
final class PublishedRequests {
    private static final Logger log = LoggerFactory.getLogger(PublishedRequests.class);

    private final Path file;
    private Object fileKey;
    private long offset;

    PublishedRequests(Path file) {
        this.file = file;
    }

    /** Each request logged since the last call: its host (lower case, without the port) and when. */
    synchronized void read(BiConsumer<String, Instant> each) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException nothingPublishedYet) {
            return;
        } catch (IOException e) {
            log.atWarn()
                    .setMessage("published_log_unreadable")
                    .addKeyValue("file", file)
                    .addKeyValue("error", e.toString())
                    .log();
            return;
        }
        Object key = attributes.fileKey();
        if (key == null || !key.equals(fileKey) || attributes.size() < offset) {
            fileKey = key; // a new file: Caddy rolled the old one
            offset = 0;
        }
        if (attributes.size() == offset) {
            return;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(attributes.size() - offset, 4 << 20));
            channel.read(buffer, offset);
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            if (end < 0) {
                return; // half a line so far: the rest comes with the next read
            }
            offset += text.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length;
            for (String line : text.substring(0, end).split("\n")) {
                parse(line, each);
            }
        } catch (IOException e) {
            log.atWarn()
                    .setMessage("published_log_unreadable")
                    .addKeyValue("file", file)
                    .addKeyValue("error", e.toString())
                    .log();
        }
    }

    private static void parse(String line, BiConsumer<String, Instant> each) {
        try {
            Map<String, Object> entry = JSON.std.mapFrom(line);
            if (entry.get("request") instanceof Map<?, ?> request
                    && request.get("host") instanceof String host
                    && entry.get("ts") instanceof Number ts) {
                int colon = host.lastIndexOf(':');
                String name = colon > host.lastIndexOf(']') && colon >= 0 ? host.substring(0, colon) : host;
                long micros = Math.round(ts.doubleValue() * 1_000_000);
                each.accept(
                        name.toLowerCase(Locale.ROOT),
                        Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1000));
            }
        } catch (IOException | RuntimeException notAnEntry) {
            log.atDebug()
                    .setMessage("published_log_line_skipped")
                    .addKeyValue("reason", notAnEntry.toString())
                    .log();
        }
    }
}
