package dev.spinup.agent.commands;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.spinup.api.v1.CommandResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The durable record of commands: an "accepted" record written when a command is acked, and its
 * CommandResult once executed. A command whose result is recorded is never executed again, across
 * agent restarts: the recorded result is re-sent instead. One accepted but without a result was
 * lost in a crash.
 *
 * <p>Both kinds are appended to one log ({@code commands.log}: length, CRC-32C, kind, time, then
 * the command id and its deadline or its result), so a record costs one fsync of a file that
 * already exists, not a file, an fsync and a directory fsync of its own. Records written at the
 * same moment share an fsync (group commit): whoever syncs, syncs everything written before it
 * began. On open the log is read into an index of offsets (results stay on disk); a record torn
 * by a crash can only be the last, was never acknowledged, and is cut off. An agent upgraded from
 * the one-file-per-record layout imports those files into the log first.
 *
 * <p>Records do not pile up: {@link #prune} drops those the control plane can no longer send
 * again — a command's records once its deadline has passed (by a margin for clocks that disagree:
 * a command past its deadline is refused, not run), one without a deadline after a long horizon —
 * by writing the rest to a new log that replaces the old one atomically.
 */
public final class ExecutedCommands {
    /** Past its deadline by this much, a command's record goes: no control plane sends it any more. */
    public static final Duration PAST_DEADLINE = Duration.ofMinutes(10);
    /** A command without a deadline (only convergent ones have none) keeps its record this long. */
    public static final Duration WITHOUT_DEADLINE = Duration.ofDays(7);

    private static final byte ACCEPTED = 1;
    private static final byte RESULT = 2;
    /** length and CRC (ints), then kind (byte) and time (long): the length counts from the kind on. */
    private static final int HEADER = 4 + 4;

    private final Path dir;
    private final Path log;
    /** One sample per fsync of the log (a group of records shares one). */
    private final io.micrometer.core.instrument.Timer fsyncs;
    /** Held while appending and indexing; a lock, so a waiting virtual thread does not pin its carrier. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Held across an fsync, so one runs at a time and the others find their records synced by it. */
    private final ReentrantLock syncing = new ReentrantLock();

    private final Map<String, Entry> index = new HashMap<>();
    private FileChannel channel;
    private long written;
    private long synced;

    /** What the log knows of a command: its deadline (null: none), and where its result is. */
    private record Entry(Instant deadline, Instant at, long resultAt, int resultLength, Instant resultTime) {
        static Entry empty() {
            return new Entry(null, null, -1, 0, null);
        }

        boolean hasResult() {
            return resultAt >= 0;
        }

        /** The time of its newest record. */
        Instant latest() {
            return resultTime != null ? resultTime : at;
        }
    }

    public ExecutedCommands(Path dir) {
        this(dir, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    /** Timing each fsync as {@code spinup_agent_fsync_seconds{file="command_record"}}. */
    public ExecutedCommands(Path dir, io.micrometer.core.instrument.MeterRegistry meters) {
        this.dir = dir;
        this.log = dir.resolve("commands.log");
        this.fsyncs = meters.timer("spinup_agent_fsync", "file", "command_record");
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve("commands.log.tmp")); // a compaction a crash cut short
            boolean created = !Files.exists(log);
            channel =
                    FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (created) {
                syncDirectory();
            }
            load();
            importRecordFiles();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the command log " + log, e);
        }
    }

    public Optional<CommandResult> result(String commandId) {
        lock.lock();
        try {
            Entry e = index.get(commandId);
            if (e == null || !e.hasResult()) {
                return Optional.empty();
            }
            ByteBuffer bytes = ByteBuffer.allocate(e.resultLength());
            readFully(e.resultAt(), bytes);
            return Optional.of(CommandResult.parseFrom(bytes.array()));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt result of " + commandId + " in " + log, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            lock.unlock();
        }
    }

    /** Durably records the command's result; returns once it is on disk. */
    public void record(CommandResult result) {
        append(RESULT, Instant.now(), result.getCommandId(), result.toByteArray());
    }

    /** Durably notes that the command was acked, before it starts executing, with its deadline (null: none). */
    public void markAccepted(String commandId, Instant deadline) {
        append(ACCEPTED, Instant.now(), commandId, deadlineBytes(deadline));
    }

    public boolean wasAccepted(String commandId) {
        lock.lock();
        try {
            Entry e = index.get(commandId);
            return e != null && e.at() != null;
        } finally {
            lock.unlock();
        }
    }

    /** The ids of recorded commands, most recent result first, at most {@code limit}. */
    public List<String> recent(int limit) {
        lock.lock();
        try {
            return index.entrySet().stream()
                    .filter(e -> e.getValue().hasResult())
                    .sorted(Comparator.comparing(
                                    (Map.Entry<String, Entry> e) -> e.getValue().resultTime())
                            .reversed())
                    .limit(limit)
                    .map(Map.Entry::getKey)
                    .toList();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Drops the records (accepted and result) of commands that can no longer be sent again, except
     * those of {@code running}, by writing the others to a new log. Returns how many commands' records went.
     */
    public int prune(Instant now, Set<String> running) {
        syncing.lock(); // no fsync of the old log while it is replaced
        lock.lock();
        try {
            Set<String> expired = index.entrySet().stream()
                    .filter(e -> !running.contains(e.getKey()) && expired(e.getValue(), now))
                    .map(Map.Entry::getKey)
                    .collect(java.util.stream.Collectors.toSet());
            if (expired.isEmpty()) {
                return 0;
            }
            Path tmp = dir.resolve("commands.log.tmp");
            try (FileChannel out = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                for (var e : index.entrySet()) {
                    String id = e.getKey();
                    Entry entry = e.getValue();
                    if (expired.contains(id)) {
                        continue;
                    }
                    if (entry.at() != null) {
                        writeFully(out, record(ACCEPTED, entry.at(), id, deadlineBytes(entry.deadline())));
                    }
                    if (entry.hasResult()) {
                        byte[] result = result(id).orElseThrow().toByteArray();
                        writeFully(out, record(RESULT, entry.resultTime(), id, result));
                    }
                }
                force(out);
            }
            channel.close();
            Files.move(tmp, log, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory();
            channel = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE);
            index.clear();
            load();
            synced = written;
            return expired.size();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot compact the command log " + log, e);
        } finally {
            lock.unlock();
            syncing.unlock();
        }
    }

    /** The deadline decides; without one, the age of the command's newest record. */
    private static boolean expired(Entry e, Instant now) {
        if (e.deadline() != null) {
            return now.isAfter(e.deadline().plus(PAST_DEADLINE));
        }
        return e.latest() != null && e.latest().isBefore(now.minus(WITHOUT_DEADLINE));
    }

    private void append(byte kind, Instant at, String commandId, byte[] payload) {
        ByteBuffer record = record(kind, at, commandId, payload);
        long mine;
        lock.lock();
        try {
            long start = channel.size();
            writeFully(channel, start, record);
            index(kind, at, commandId, start, ByteBuffer.wrap(payload));
            mine = ++written;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the command log " + log, e);
        } finally {
            lock.unlock();
        }
        syncing.lock();
        try {
            if (synced >= mine) {
                return; // another thread's fsync began after this record was written
            }
            long upTo;
            lock.lock();
            try {
                upTo = written;
            } finally {
                lock.unlock();
            }
            force(channel);
            synced = upTo;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fsync the command log " + log, e);
        } finally {
            syncing.unlock();
        }
    }

    /** Indexes a record that starts at {@code start}; {@code payload} is its deadline or its result. */
    private void index(byte kind, Instant at, String commandId, long start, ByteBuffer payload) {
        Entry e = index.getOrDefault(commandId, Entry.empty());
        int length = payload.remaining();
        long payloadAt = start + HEADER + 1 + 8 + 2 + commandId.getBytes(StandardCharsets.UTF_8).length;
        index.put(
                commandId,
                kind == ACCEPTED
                        ? new Entry(
                                length == 0 ? null : Instant.ofEpochMilli(payload.getLong(payload.position())),
                                at,
                                e.resultAt(),
                                e.resultLength(),
                                e.resultTime())
                        : new Entry(e.deadline(), e.at(), payloadAt, length, at));
    }

    /** length, CRC-32C of what follows it, kind, epoch millis, id length and id, payload. */
    private static ByteBuffer record(byte kind, Instant at, String commandId, byte[] payload) {
        byte[] id = commandId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = ByteBuffer.allocate(1 + 8 + 2 + id.length + payload.length)
                .put(kind)
                .putLong(at.toEpochMilli())
                .putShort((short) id.length)
                .put(id)
                .put(payload)
                .flip();
        CRC32C crc = new CRC32C();
        crc.update(body.duplicate());
        return ByteBuffer.allocate(HEADER + body.remaining())
                .putInt(body.remaining())
                .putInt((int) crc.getValue())
                .put(body)
                .flip();
    }

    private static byte[] deadlineBytes(Instant deadline) {
        return deadline == null
                ? new byte[0]
                : ByteBuffer.allocate(8).putLong(deadline.toEpochMilli()).array();
    }

    /** Reads the log into the index; cuts off a torn or corrupt tail (it was never fsync'd, so never acked). */
    private void load() throws IOException {
        long size = channel.size();
        long at = 0;
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        while (at + HEADER <= size) {
            header.clear();
            readFully(at, header);
            int length = header.flip().getInt();
            int crc = header.getInt();
            if (length < 11 || at + HEADER + length > size) {
                break;
            }
            ByteBuffer body = ByteBuffer.allocate(length);
            readFully(at + HEADER, body);
            CRC32C check = new CRC32C();
            check.update(body.array());
            if ((int) check.getValue() != crc) {
                break;
            }
            body.flip();
            byte kind = body.get();
            Instant time = Instant.ofEpochMilli(body.getLong());
            byte[] id = new byte[body.getShort()];
            body.get(id);
            index(kind, time, new String(id, StandardCharsets.UTF_8), at, body.slice());
            at += HEADER + length;
        }
        if (at < size) {
            channel.truncate(at);
            force(channel);
        }
    }

    /** Moves the records an older agent wrote one file each into the log, then deletes those files. */
    private void importRecordFiles() throws IOException {
        List<LegacyCommandRecords.Found> found = LegacyCommandRecords.read(dir);
        for (LegacyCommandRecords.Found f : found) {
            if (f.result() == null) {
                append(ACCEPTED, f.at(), f.commandId(), deadlineBytes(f.deadline()));
            } else {
                append(RESULT, f.at(), f.commandId(), f.result());
            }
        }
        if (LegacyCommandRecords.delete(dir) > 0) {
            syncDirectory();
        }
    }

    private void readFully(long position, ByteBuffer into) throws IOException {
        while (into.hasRemaining()) {
            if (channel.read(into, position + into.position()) < 0) {
                throw new IOException("unexpected end of " + log);
            }
        }
    }

    private static void writeFully(FileChannel ch, long position, ByteBuffer from) throws IOException {
        while (from.hasRemaining()) {
            position += ch.write(from, position);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer from) throws IOException {
        while (from.hasRemaining()) {
            ch.write(from);
        }
    }

    private void force(FileChannel ch) throws IOException {
        long started = System.nanoTime();
        ch.force(false);
        fsyncs.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }

    private void syncDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the log's name must survive a crash
        }
    }
}
