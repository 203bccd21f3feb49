package dev.spinup.agent.session;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import dev.spinup.agent.commands.EventSink;
import dev.spinup.api.v1.AgentEvent;
import io.grpc.stub.StreamObserver;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events from this agent to the control plane. Each gets the next seq (monotonic, also across
 * restarts) and stays until the control plane acks a high-water mark at or past it; the rest is
 * replayed in order on the next session.
 *
 * <p>CommandResult and WorkspaceLocalEvent are critical: appended to {@code events.log} and
 * fsync'd before they are sent, so they survive a kill of the agent, and never dropped. When the
 * buffer holds {@code capacity} events, Heartbeat and CommandProgress (which are stale after a
 * restart, and only kept in memory, like Inventory) are dropped first; when critical events alone
 * fill it, {@link #emit} blocks until acks make room — back-pressure instead of loss.
 */
public final class EventOutbox implements EventSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventOutbox.class);
    public static final int DEFAULT_CAPACITY = 10_000;

    private final Clock clock;
    private final Path dir;
    private final int capacity;
    private final Deque<AgentEvent> unacked = new ArrayDeque<>();
    private final AgentMetrics metrics;
    private FileChannel journal;
    private long nextSeq = 1;
    private long ackedSeq;
    private int journalRecords;
    private StreamObserver<AgentEvent> stream;
    /** Held across the journal's fsync: a lock, so a waiting virtual thread does not pin its carrier. */
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

    private final java.util.concurrent.locks.Condition room = lock.newCondition();

    /** Counters an operator can watch (exposed through heartbeats and logs). */
    public interface AgentMetrics {
        AgentMetrics NONE = new AgentMetrics() {};

        default void dropped(AgentEvent.KindCase kind) {
            log.atDebug().setMessage("event_dropped").addKeyValue("kind", kind).log();
        }

        default void blocked() {}

        /** The journal was fsync'd (a critical event appended, or the journal compacted); it took {@code nanos}. */
        default void fsynced(long nanos) {}
    }

    public EventOutbox(Clock clock, Path dir, int capacity, AgentMetrics metrics) {
        this.clock = clock;
        this.dir = dir;
        this.capacity = capacity;
        this.metrics = metrics;
        try {
            Files.createDirectories(dir);
            recover();
            this.journal = FileChannel.open(
                    journalFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the event journal in " + dir, e);
        }
    }

    @Override
    public long emit(AgentEvent.Builder event) {
        boolean critical = isCritical(event.getKindCase());
        // Inventory is sent at session open, before the stream that brings acks is attached: it
        // may exceed the cap by one rather than wait (a deadlock) or be dropped (no reconcile).
        boolean bypassCap = event.getKindCase() == AgentEvent.KindCase.INVENTORY;
        lock.lock();
        try {
            while (!bypassCap && unacked.size() >= capacity) {
                if (dropOldestDroppable()) {
                    continue;
                }
                if (!critical) {
                    metrics.dropped(event.getKindCase());
                    return -1;
                }
                metrics.blocked();
                log.atError()
                        .setMessage("event_buffer_full")
                        .addKeyValue("capacity", capacity)
                        .addKeyValue("acked_seq", ackedSeq)
                        .addKeyValue("holding", "new_results_until_acked")
                        .log();
                try {
                    room.await(1, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for room in the event buffer");
                }
            }
            Instant now = clock.instant();
            AgentEvent built = event.setSeq(nextSeq++)
                    .setEmittedAt(Timestamp.newBuilder()
                            .setSeconds(now.getEpochSecond())
                            .setNanos(now.getNano()))
                    .build();
            if (critical) {
                append(built);
            }
            unacked.addLast(built);
            if (stream != null) {
                stream.onNext(built);
            }
            return built.getSeq();
        } finally {
            lock.unlock();
        }
    }

    /** A new session's events stream: replay everything not yet acked, then send new events to it. */
    public void attach(StreamObserver<AgentEvent> newStream) {
        lock.lock();
        try {
            this.stream = newStream;
            for (AgentEvent e : unacked) {
                newStream.onNext(e);
            }
        } finally {
            lock.unlock();
        }
    }

    public void detach(StreamObserver<AgentEvent> oldStream) {
        lock.lock();
        try {
            if (stream == oldStream) {
                stream = null;
            }
        } finally {
            lock.unlock();
        }
    }

    public void ack(long seq) {
        lock.lock();
        try {
            if (seq <= ackedSeq) {
                return;
            }
            ackedSeq = seq;
            while (!unacked.isEmpty() && unacked.peekFirst().getSeq() <= seq) {
                unacked.removeFirst();
            }
            writeAckMark();
            if (journalRecords > 1000 && journalRecords > 2 * unacked.size()) {
                compact();
            }
            room.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The highest seq the control plane has acked. */
    public long ackedSeq() {
        lock.lock();
        try {
            return ackedSeq;
        } finally {
            lock.unlock();
        }
    }

    public int depth() {
        lock.lock();
        try {
            return unacked.size();
        } finally {
            lock.unlock();
        }
    }

    static boolean isCritical(AgentEvent.KindCase kind) {
        return kind == AgentEvent.KindCase.RESULT || kind == AgentEvent.KindCase.WORKSPACE_EVENT;
    }

    private boolean dropOldestDroppable() {
        for (Iterator<AgentEvent> it = unacked.iterator(); it.hasNext(); ) {
            AgentEvent e = it.next();
            if (!isCritical(e.getKindCase())) {
                it.remove();
                metrics.dropped(e.getKindCase());
                return true;
            }
        }
        return false;
    }

    /** A journal record: the event's length, then the event. */
    private static ByteBuffer record(AgentEvent event) {
        byte[] bytes = event.toByteArray();
        return ByteBuffer.allocate(4 + bytes.length)
                .putInt(bytes.length)
                .put(bytes)
                .flip();
    }

    private void append(AgentEvent event) {
        ByteBuffer record = record(event);
        try {
            while (record.hasRemaining()) {
                journal.write(record);
            }
            long started = System.nanoTime();
            journal.force(false);
            metrics.fsynced(System.nanoTime() - started);
            journalRecords++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the event journal", e);
        }
    }

    private void writeAckMark() {
        try {
            Path tmp = dir.resolve("acked.tmp");
            Files.writeString(tmp, Long.toString(ackedSeq));
            Files.move(tmp, dir.resolve("acked"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // Losing the mark only means re-sending events the control plane already has; it ignores them.
            log.atWarn()
                    .setMessage("ack_mark_failed")
                    .addKeyValue("error", e.toString())
                    .log();
        }
    }

    /** Rewrites the journal with only the critical events still unacked. */
    private void compact() {
        Path tmp = dir.resolve("events.log.tmp");
        try (FileChannel out = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            int records = 0;
            for (AgentEvent e : unacked) {
                if (isCritical(e.getKindCase())) {
                    ByteBuffer record = record(e);
                    while (record.hasRemaining()) {
                        out.write(record);
                    }
                    records++;
                }
            }
            long started = System.nanoTime();
            out.force(true);
            metrics.fsynced(System.nanoTime() - started);
            journal.close();
            Files.move(tmp, journalFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            journal = FileChannel.open(journalFile(), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            journalRecords = records;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot compact the event journal", e);
        }
    }

    /** Loads unacked critical events left by an earlier run; a torn last record (a crash mid-write) is ignored. */
    private void recover() throws IOException {
        Path mark = dir.resolve("acked");
        if (Files.exists(mark)) {
            ackedSeq = Long.parseLong(Files.readString(mark).trim());
        }
        long maxSeq = ackedSeq;
        if (Files.exists(journalFile())) {
            try (InputStream in = Files.newInputStream(journalFile());
                    DataInputStream data = new DataInputStream(in)) {
                while (true) {
                    int length;
                    try {
                        length = data.readInt();
                    } catch (EOFException end) {
                        break;
                    }
                    byte[] bytes = new byte[length];
                    try {
                        data.readFully(bytes);
                    } catch (EOFException torn) {
                        log.atWarn()
                                .setMessage("event_journal_torn_record")
                                .addKeyValue("ignored_bytes", length)
                                .log();
                        break;
                    }
                    AgentEvent e;
                    try {
                        e = AgentEvent.parseFrom(bytes);
                    } catch (InvalidProtocolBufferException corrupt) {
                        log.atWarn().setMessage("event_journal_corrupt_record").log();
                        break;
                    }
                    journalRecords++;
                    maxSeq = Math.max(maxSeq, e.getSeq());
                    if (e.getSeq() > ackedSeq) {
                        unacked.addLast(e);
                    }
                }
            }
        }
        nextSeq = maxSeq + 1;
        if (!unacked.isEmpty()) {
            log.atInfo()
                    .setMessage("event_journal_recovered")
                    .addKeyValue("unacked", unacked.size())
                    .addKeyValue("next_seq", nextSeq)
                    .log();
        }
    }

    private Path journalFile() {
        return dir.resolve("events.log");
    }

    @Override
    public void close() {
        lock.lock();
        try {
            journal.close();
        } catch (IOException e) {
            // closing anyway
        } finally {
            lock.unlock();
        }
    }
}
