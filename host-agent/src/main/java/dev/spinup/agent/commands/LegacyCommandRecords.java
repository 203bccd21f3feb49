package dev.spinup.agent.commands;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The layout of command records before {@link ExecutedCommands} kept one log: a file per record,
 * {@code <id>.accepted} (the deadline in epoch millis, or empty) and {@code <id>.result} (the
 * CommandResult), with {@code /} in the id written as {@code ~}. Read once by an upgraded agent.
 */
final class LegacyCommandRecords {
    private LegacyCommandRecords() {}

    /** One old record: an accepted marker ({@code result} null) or a result, timed by its file. */
    record Found(String commandId, Instant at, Instant deadline, byte[] result) {}

    static List<Found> read(Path dir) throws IOException {
        List<Found> found = new ArrayList<>();
        for (Path f : files(dir)) {
            String name = f.getFileName().toString();
            if (name.endsWith(".tmp")) {
                continue; // a write a crash cut short: never fsync'd, never acked
            }
            String id = name.substring(0, name.lastIndexOf('.')).replace("~", "/");
            Instant at = Files.getLastModifiedTime(f).toInstant();
            byte[] content = Files.readAllBytes(f);
            if (name.endsWith(".accepted")) {
                String deadline = new String(content, StandardCharsets.US_ASCII).trim();
                found.add(new Found(
                        id, at, deadline.isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(deadline)), null));
            } else {
                found.add(new Found(id, at, null, content));
            }
        }
        return found;
    }

    /** Deletes the old files (once their records are in the log); returns how many went. */
    static int delete(Path dir) throws IOException {
        List<Path> files = files(dir);
        for (Path f : files) {
            Files.delete(f);
        }
        return files.size();
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(f -> {
                        String n = f.getFileName().toString().replaceFirst("\\.tmp$", "");
                        return n.endsWith(".accepted") || n.endsWith(".result");
                    })
                    .sorted()
                    .toList();
        }
    }
}
