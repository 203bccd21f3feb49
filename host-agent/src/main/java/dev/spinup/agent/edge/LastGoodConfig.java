package dev.spinup.agent.edge;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.spinup.api.v1.ApplyEdgeRoutes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * The last config Caddy confirmed, kept on disk (each file written atomically) so that it is
 * served again whatever restarts: the rendered JSON and its {@code @id} serial, the control
 * plane's table it came from (to render it again when this host's workspaces change) and its
 * generation, and the names it routes.
 */
final class LastGoodConfig {
    /** @param serial the config's own number (its {@code @id}); grows with every load, also re-renders of one table */
    record Config(long generation, long serial, String json, ApplyEdgeRoutes table, List<String> hostnames) {}

    private final Path dir;

    LastGoodConfig(Path dir) {
        this.dir = dir;
    }

    Path json() {
        return dir.resolve("last-good.json");
    }

    Optional<Config> read() {
        try {
            Path generation = dir.resolve("last-good.generation");
            if (!Files.exists(json()) || !Files.exists(generation)) {
                return Optional.empty();
            }
            long gen = Long.parseLong(Files.readString(generation).trim());
            Path serialFile = dir.resolve("last-good.serial");
            // Written by an agent from before serials: its config's @id was its generation.
            long serial = Files.exists(serialFile)
                    ? Long.parseLong(Files.readString(serialFile).trim())
                    : gen;
            Path tableFile = dir.resolve("last-good.table");
            ApplyEdgeRoutes table =
                    Files.exists(tableFile) ? ApplyEdgeRoutes.parseFrom(Files.readAllBytes(tableFile)) : null;
            Path names = dir.resolve("last-good.hostnames");
            List<String> hostnames = Files.exists(names)
                    ? Files.readAllLines(names).stream()
                            .filter(l -> !l.isBlank())
                            .toList()
                    : List.of();
            return Optional.of(new Config(gen, serial, Files.readString(json()), table, hostnames));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt " + dir.resolve("last-good.table"), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void write(Config c) {
        try {
            // the config first: a crash before the rest leaves older numbers, which only means the
            // watchdog loads the (newer) config once more
            writeAtomically(json(), c.json().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            writeAtomically(dir.resolve("last-good.table"), c.table().toByteArray());
            writeAtomically(
                    dir.resolve("last-good.serial"),
                    Long.toString(c.serial()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            writeAtomically(
                    dir.resolve("last-good.generation"),
                    Long.toString(c.generation()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            writeAtomically(
                    dir.resolve("last-good.hostnames"),
                    String.join("\n", c.hostnames()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(content));
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
