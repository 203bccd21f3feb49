package dev.spinup.agent.session;

import com.google.protobuf.Timestamp;
import dev.spinup.api.v1.AgentEvent;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Events from this agent to the control plane. Each gets the next seq; it is kept until the
 * control plane acks a high-water mark at or past it, and replayed on the next session if the
 * current one ends first.
 */
public final class EventOutbox {
    private final Clock clock;
    private final Deque<AgentEvent> unacked = new ArrayDeque<>();
    private long nextSeq = 1;
    private StreamObserver<AgentEvent> stream;

    public EventOutbox(Clock clock) {
        this.clock = clock;
    }

    public synchronized long emit(AgentEvent.Builder event) {
        Instant now = clock.instant();
        AgentEvent built = event.setSeq(nextSeq++)
                .setEmittedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .build();
        unacked.addLast(built);
        if (stream != null) {
            stream.onNext(built);
        }
        return built.getSeq();
    }

    /** A new session's events stream: replay everything not yet acked, then send new events to it. */
    public synchronized void attach(StreamObserver<AgentEvent> newStream) {
        this.stream = newStream;
        for (AgentEvent e : unacked) {
            newStream.onNext(e);
        }
    }

    public synchronized void detach(StreamObserver<AgentEvent> oldStream) {
        if (stream == oldStream) {
            stream = null;
        }
    }

    public synchronized void ack(long ackedSeq) {
        while (!unacked.isEmpty() && unacked.peekFirst().getSeq() <= ackedSeq) {
            unacked.removeFirst();
        }
    }

    public synchronized int depth() {
        return unacked.size();
    }
}
