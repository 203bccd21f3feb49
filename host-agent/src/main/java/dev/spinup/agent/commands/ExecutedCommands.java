package dev.spinup.agent.commands;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.spinup.api.v1.CommandResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The durable record of commands: an "accepted" marker written when a command is acked, and one
 * file per command id holding its CommandResult once executed (temp file, fsync, rename). A
 * command whose result is recorded is never executed again, across agent restarts: the recorded
 * result is re-sent instead. One accepted but without a result was lost in a crash.
 */
public final class ExecutedCommands {
    private final Path dir;

    public ExecutedCommands(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Optional<CommandResult> result(String commandId) {
        Path file = file(commandId);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(CommandResult.parseFrom(Files.readAllBytes(file)));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt executed-command record " + file, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void record(CommandResult result) {
        writeDurably(file(result.getCommandId()), result.toByteArray());
    }

    /** Durably notes that the command was acked, before it starts executing. */
    public void markAccepted(String commandId) {
        writeDurably(accepted(commandId), new byte[0]);
    }

    public boolean wasAccepted(String commandId) {
        return Files.exists(accepted(commandId));
    }

    private void writeDurably(Path file, byte[] content) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(content));
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true); // the rename itself must survive a crash
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path accepted(String commandId) {
        return dir.resolve(commandId.replace("/", "~") + ".accepted");
    }

    /** The ids of recorded commands, most recent first, at most {@code limit}. */
    public List<String> recent(int limit) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".result"))
                    .sorted((a, b) -> Long.compare(b.toFile().lastModified(), a.toFile().lastModified()))
                    .limit(limit)
                    .map(f -> decode(f.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path file(String commandId) {
        return dir.resolve(commandId.replace("/", "~") + ".result");
    }

    private static String decode(String fileName) {
        return fileName.substring(0, fileName.length() - ".result".length()).replace("~", "/");
    }
}
