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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The durable record of commands: an "accepted" marker written when a command is acked, and one
 * file per command id holding its CommandResult once executed (temp file, fsync, rename). A
 * command whose result is recorded is never executed again, across agent restarts: the recorded
 * result is re-sent instead. One accepted but without a result was lost in a crash.
 *
 * <p>Records do not pile up: {@link #prune} drops those the control plane can no longer send
 * again — a command's record once its deadline has passed (by a margin for clocks that disagree:
 * a command past its deadline is refused, not run), one without a deadline after a long horizon.
 */
public final class ExecutedCommands {
    private final Path dir;
    /** Each record's two fsyncs (the file, then its directory for the rename), one sample per record. */
    private final io.micrometer.core.instrument.Timer fsyncs;

    public ExecutedCommands(Path dir) {
        this(dir, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    /** Timing each durable write's fsyncs as {@code spinup_agent_fsync_seconds{file="command_record"}}. */
    public ExecutedCommands(Path dir, io.micrometer.core.instrument.MeterRegistry meters) {
        this.dir = dir;
        this.fsyncs = meters.timer("spinup_agent_fsync", "file", "command_record");
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

    /** Durably notes that the command was acked, before it starts executing, with its deadline (null: none). */
    public void markAccepted(String commandId, Instant deadline) {
        writeDurably(
                accepted(commandId),
                deadline == null
                        ? new byte[0]
                        : Long.toString(deadline.toEpochMilli()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** Past its deadline by this much, a command's record goes: no control plane sends it any more. */
    public static final Duration PAST_DEADLINE = Duration.ofMinutes(10);
    /** A command without a deadline (only convergent ones have none) keeps its record this long. */
    public static final Duration WITHOUT_DEADLINE = Duration.ofDays(7);

    /**
     * Deletes the records (accepted marker and result) of commands that can no longer be sent
     * again, except those of {@code running}. Returns how many commands' records went.
     */
    public int prune(Instant now, java.util.Set<String> running) {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".accepted") || n.endsWith(".result"))
                    .forEach(n -> ids.add(decode(n.substring(0, n.lastIndexOf('.')))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int pruned = 0;
        for (String id : ids) {
            if (!running.contains(id) && expired(id, now)) {
                try {
                    Files.deleteIfExists(file(id));
                    Files.deleteIfExists(accepted(id));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                pruned++;
            }
        }
        return pruned;
    }

    /** The accepted marker knows the command's deadline; without one, the records' age decides. */
    private boolean expired(String id, Instant now) {
        try {
            Path marker = accepted(id);
            if (Files.exists(marker)) {
                String deadline = Files.readString(marker).trim();
                if (!deadline.isEmpty()) {
                    return now.isAfter(
                            Instant.ofEpochMilli(Long.parseLong(deadline)).plus(PAST_DEADLINE));
                }
            }
            Path record = Files.exists(file(id)) ? file(id) : marker;
            return Files.exists(record)
                    && Files.getLastModifiedTime(record).toInstant().isBefore(now.minus(WITHOUT_DEADLINE));
        } catch (IOException | NumberFormatException e) {
            return false; // unreadable: kept, and looked at again next time
        }
    }

    public boolean wasAccepted(String commandId) {
        return Files.exists(accepted(commandId));
    }

    private void writeDurably(Path file, byte[] content) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(content));
            long started = System.nanoTime();
            ch.force(true);
            fsyncs.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                long started = System.nanoTime();
                d.force(true); // the rename itself must survive a crash
                fsyncs.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
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
                    .sorted((a, b) ->
                            Long.compare(b.toFile().lastModified(), a.toFile().lastModified()))
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
        String base =
                fileName.endsWith(".result") ? fileName.substring(0, fileName.length() - ".result".length()) : fileName;
        return base.replace("~", "/");
    }
}
